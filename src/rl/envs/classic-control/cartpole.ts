import { z } from 'zod';
import { EnvError } from '../../errors.js';
import { Env, type ResetArgs, type ResetResult, type StepResult } from '../../env.js';
import { Box } from '../../spaces/box.js';
import { Discrete } from '../../spaces/discrete.js';
import { maybeParseResetBounds } from './reset-bounds.js';

export const CartPoleOptionsSchema = z
  .object({
    gravity: z.number().finite().default(9.8),
    masscart: z.number().positive().default(1.0),
    masspole: z.number().positive().default(0.1),
    /** Half the pole's length, as in Gymnasium. */
    length: z.number().positive().default(0.5),
    forceMag: z.number().finite().default(10.0),
    /** Seconds between state updates. */
    tau: z.number().positive().default(0.02),
    kinematicsIntegrator: z.enum(['euler', 'semi-implicit euler']).default('euler'),
    /** Gymnasium 1.x `sutton_barto_reward`: 0 per step, -1 on failure. */
    suttonBartoReward: z.boolean().default(false),
    /**
     * false: `observation` is a view of one buffer the next step/reset overwrites (no allocation
     * per step). true (default): a fresh Float32Array per step, as Gymnasium returns.
     */
    copyObservation: z.boolean().default(true),
  })
  .strict();
export type CartPoleOptions = z.input<typeof CartPoleOptionsSchema>;

const THETA_THRESHOLD_RADIANS = (12 * 2 * Math.PI) / 360;
const X_THRESHOLD = 2.4;

/**
 * Gymnasium's CartPole-v1 (Barto, Sutton & Anderson 1983), equation for equation: Euler
 * integration of the cart-pole dynamics in float64, observations rounded to float32. Reward 1
 * per step including the terminating one; the 500-step truncation comes from the registry.
 * Physical constants are options so source and target variants of a transfer task differ by one.
 */
export class CartPoleEnv extends Env<Float32Array, number> {
  readonly observationSpace: Box;
  readonly actionSpace = new Discrete(2);
  readonly gravity: number;
  readonly masscart: number;
  readonly masspole: number;
  readonly totalMass: number;
  readonly length: number;
  readonly polemassLength: number;
  readonly forceMag: number;
  readonly tau: number;
  readonly kinematicsIntegrator: 'euler' | 'semi-implicit euler';
  readonly thetaThresholdRadians = THETA_THRESHOLD_RADIANS;
  readonly xThreshold = X_THRESHOLD;
  private readonly suttonBartoReward: boolean;
  private readonly copyObservation: boolean;
  /** x, x_dot, theta, theta_dot in float64, as Gymnasium's `self.state`. */
  readonly state = new Float64Array(4);
  private hasState = false;
  private stepsBeyondTerminated: number | null = null;
  private readonly obsBuffer = new Float32Array(4);

  constructor(options: CartPoleOptions = {}) {
    super();
    const o = CartPoleOptionsSchema.parse(options);
    this.gravity = o.gravity;
    this.masscart = o.masscart;
    this.masspole = o.masspole;
    this.totalMass = o.masspole + o.masscart;
    this.length = o.length;
    this.polemassLength = o.masspole * o.length;
    this.forceMag = o.forceMag;
    this.tau = o.tau;
    this.kinematicsIntegrator = o.kinematicsIntegrator;
    this.suttonBartoReward = o.suttonBartoReward;
    this.copyObservation = o.copyObservation;
    // Twice the thresholds, so failing observations are still inside the space (Gymnasium).
    const max = 3.4028234663852886e38; // np.finfo(np.float32).max
    const high = [X_THRESHOLD * 2, max, THETA_THRESHOLD_RADIANS * 2, max];
    this.observationSpace = new Box(
      high.map((h) => -h),
      high,
    );
    this.metadata = { renderModes: [], renderFps: 50 };
  }

  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedReset(args);
    const [low, high] = maybeParseResetBounds(args?.options, -0.05, 0.05);
    const rng = this.npRandom;
    for (let i = 0; i < 4; i++) this.state[i] = rng.uniformRange(low, high);
    this.hasState = true;
    this.stepsBeyondTerminated = null;
    return { observation: this.observe(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (!this.hasState) throw new EnvError(`${this}: call reset() before step()`);
    const s = this.state;
    let x = s[0];
    let xDot = s[1];
    let theta = s[2];
    let thetaDot = s[3];
    const force = action === 1 ? this.forceMag : -this.forceMag;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);
    // For the interested reader: https://coneural.org/florian/papers/05_cart_pole.pdf
    const temp = (force + this.polemassLength * (thetaDot * thetaDot) * sintheta) / this.totalMass;
    const thetaacc =
      (this.gravity * sintheta - costheta * temp) /
      (this.length * (4.0 / 3.0 - (this.masspole * (costheta * costheta)) / this.totalMass));
    const xacc = temp - (this.polemassLength * thetaacc * costheta) / this.totalMass;
    if (this.kinematicsIntegrator === 'euler') {
      x = x + this.tau * xDot;
      xDot = xDot + this.tau * xacc;
      theta = theta + this.tau * thetaDot;
      thetaDot = thetaDot + this.tau * thetaacc;
    } else {
      xDot = xDot + this.tau * xacc;
      x = x + this.tau * xDot;
      thetaDot = thetaDot + this.tau * thetaacc;
      theta = theta + this.tau * thetaDot;
    }
    s[0] = x;
    s[1] = xDot;
    s[2] = theta;
    s[3] = thetaDot;
    const terminated =
      x < -X_THRESHOLD ||
      x > X_THRESHOLD ||
      theta < -THETA_THRESHOLD_RADIANS ||
      theta > THETA_THRESHOLD_RADIANS;
    let reward: number;
    if (!terminated) {
      reward = this.suttonBartoReward ? 0.0 : 1.0;
    } else if (this.stepsBeyondTerminated === null) {
      this.stepsBeyondTerminated = 0; // the pole just fell
      reward = this.suttonBartoReward ? -1.0 : 1.0;
    } else {
      // Stepping a finished episode (only possible without make()'s OrderEnforcing).
      this.stepsBeyondTerminated++;
      reward = this.suttonBartoReward ? -1.0 : 0.0;
    }
    return { observation: this.observe(), reward, terminated, truncated: false, info: {} };
  }

  private observe(): Float32Array {
    const out = this.copyObservation ? new Float32Array(4) : this.obsBuffer;
    out[0] = this.state[0];
    out[1] = this.state[1];
    out[2] = this.state[2];
    out[3] = this.state[3];
    return out;
  }
}
