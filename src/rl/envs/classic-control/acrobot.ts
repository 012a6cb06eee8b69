import { z } from 'zod';
import { Env, type ResetArgs, type ResetResult, type StepResult } from '../../env.js';
import { EnvError } from '../../errors.js';
import { Box } from '../../spaces/box.js';
import { Discrete } from '../../spaces/discrete.js';
import { maybeParseResetBounds } from './reset-bounds.js';

export const AcrobotOptionsSchema = z
  .object({
    /** Uniform torque noise amplitude (Gymnasium's `torque_noise_max`, 0 by default). */
    torqueNoiseMax: z.number().nonnegative().default(0),
    /** "book" (Sutton & Barto) or "nips" dynamics (Gymnasium's `book_or_nips`). */
    bookOrNips: z.enum(['book', 'nips']).default('book'),
    linkMass1: z.number().positive().default(1.0),
    linkMass2: z.number().positive().default(1.0),
    linkLength1: z.number().positive().default(1.0),
  })
  .strict();
export type AcrobotOptions = z.input<typeof AcrobotOptionsSchema>;

const DT = 0.2;
const LINK_COM_POS_1 = 0.5;
const LINK_COM_POS_2 = 0.5;
const LINK_MOI = 1.0;
const MAX_VEL_1 = 4 * Math.PI;
const MAX_VEL_2 = 9 * Math.PI;
const AVAIL_TORQUE = [-1.0, 0.0, 1.0];

/**
 * Gymnasium's Acrobot-v1: two links, torque on the joint between them, RK4 over one dt = 0.2 s
 * step, reward -1 until the free end rises one link length above the base.
 */
export class AcrobotEnv extends Env<Float32Array, number> {
  readonly observationSpace = new Box(
    [-1, -1, -1, -1, -MAX_VEL_1, -MAX_VEL_2],
    [1, 1, 1, 1, MAX_VEL_1, MAX_VEL_2],
  );
  readonly actionSpace = new Discrete(3);
  /** theta1, theta2, dtheta1, dtheta2. */
  readonly state = new Float64Array(4);
  private hasState = false;
  private readonly o: z.infer<typeof AcrobotOptionsSchema>;

  constructor(options: AcrobotOptions = {}) {
    super();
    this.o = AcrobotOptionsSchema.parse(options);
    this.metadata = { renderModes: [], renderFps: 15 };
  }

  reset(args?: ResetArgs): ResetResult<Float32Array> {
    this.seedReset(args);
    const [low, high] = maybeParseResetBounds(args?.options, -0.1, 0.1);
    // Gymnasium draws the initial state in float64 and stores it as float32.
    for (let i = 0; i < 4; i++) this.state[i] = Math.fround(this.npRandom.uniformRange(low, high));
    this.hasState = true;
    return { observation: this.observe(), info: {} };
  }

  step(action: number): StepResult<Float32Array> {
    if (!this.hasState) throw new EnvError(`${this}: call reset() before step()`);
    let torque = AVAIL_TORQUE[action];
    const noise = this.o.torqueNoiseMax;
    if (noise > 0) torque += this.npRandom.uniformRange(-noise, noise);
    const ns = this.rk4([this.state[0], this.state[1], this.state[2], this.state[3], torque]);
    this.state[0] = wrap(ns[0], -Math.PI, Math.PI);
    this.state[1] = wrap(ns[1], -Math.PI, Math.PI);
    this.state[2] = bound(ns[2], -MAX_VEL_1, MAX_VEL_1);
    this.state[3] = bound(ns[3], -MAX_VEL_2, MAX_VEL_2);
    const terminated = this.terminal();
    return {
      observation: this.observe(),
      reward: terminated ? 0.0 : -1.0,
      terminated,
      truncated: false,
      info: {},
    };
  }

  private observe(): Float32Array {
    const s = this.state;
    return Float32Array.of(
      Math.cos(s[0]),
      Math.sin(s[0]),
      Math.cos(s[1]),
      Math.sin(s[1]),
      s[2],
      s[3],
    );
  }

  private terminal(): boolean {
    const s = this.state;
    return -Math.cos(s[0]) - Math.cos(s[1] + s[0]) > 1.0;
  }

  /** Time derivative of the augmented state [theta1, theta2, dtheta1, dtheta2, torque]. */
  private dsdt(sa: readonly number[]): number[] {
    const m1 = this.o.linkMass1;
    const m2 = this.o.linkMass2;
    const l1 = this.o.linkLength1;
    const lc1 = LINK_COM_POS_1;
    const lc2 = LINK_COM_POS_2;
    const I1 = LINK_MOI;
    const I2 = LINK_MOI;
    const g = 9.8;
    const a = sa[4];
    const [theta1, theta2, dtheta1, dtheta2] = sa;
    const d1 =
      m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
    const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(theta2)) + I2;
    const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2.0);
    const phi1 =
      -m2 * l1 * lc2 * dtheta2 ** 2 * Math.sin(theta2) -
      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) +
      (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2) +
      phi2;
    let ddtheta2: number;
    if (this.o.bookOrNips === 'nips') {
      // The NIPS paper's formula, which omits one term of the book's.
      ddtheta2 = (a + (d2 / d1) * phi1 - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
    } else {
      ddtheta2 =
        (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * Math.sin(theta2) - phi2) /
        (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
    }
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return [dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0];
  }

  /** One classic RK4 step over [0, dt], as Gymnasium's `rk4(derivs, y0, [0, dt])`. */
  private rk4(y0: number[]): number[] {
    const dt = DT;
    const dt2 = dt / 2.0;
    const add = (y: number[], h: number, k: number[]): number[] => y.map((v, i) => v + h * k[i]);
    const k1 = this.dsdt(y0);
    const k2 = this.dsdt(add(y0, dt2, k1));
    const k3 = this.dsdt(add(y0, dt2, k2));
    const k4 = this.dsdt(add(y0, dt, k3));
    return y0.map((v, i) => v + (dt / 6.0) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
  }
}

/** Wraps x into [m, M] by whole periods (Gymnasium's `wrap`, not a modulo: same rounding). */
function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

function bound(x: number, m: number, M: number): number {
  return Math.min(Math.max(x, m), M);
}
