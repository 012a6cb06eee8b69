/**
 * The multi-vehicle ParallelEnv shared by TrafficIntersection-v0 and HighwayMerge-v0.
 *
 * Each agent drives one vehicle (kinematic bicycle, see vehicle.ts) among scripted IDM background
 * traffic (see world.ts). Time step dt = 0.1 s by default; one env step is one simulation step.
 *
 * Actions (per agent):
 * - discrete (default), Discrete(5) meta-actions as highway-env's DiscreteMetaAction:
 *   0 keep, 1 accelerate (next higher target speed), 2 brake (next lower target speed),
 *   3 change to the lane on the left, 4 to the lane on the right (ignored where there is none);
 *   a proportional speed controller and highway-env's lane-following steering controller turn
 *   the target speed and lane into acceleration and steering;
 * - continuous, Box(-1, 1, [2]): [acceleration, steering] scaled to +-5 m/s^2 and +-pi/4 rad
 *   (highway-env's ContinuousAction ranges).
 *
 * Observation (per agent), Box(-1, 1, [K, 7]) flattened row-major, highway-env's Kinematics
 * observation expressed in the ego frame; features [presence, x, y, vx, vy, cos_h, sin_h]:
 * - row 0, the ego: presence 1; x, y from the layout (intersection: route progress fraction and
 *   lateral offset in lane widths; merge: x / road length and y / road width, -1 on the ramp);
 *   vx, vy the velocity in the frame of the lane / route at its position, over 2 v_ref;
 *   cos_h, sin_h of the heading relative to that lane;
 * - rows 1..K-1, the K-1 nearest other vehicles within `perceptionDistance`, closest first:
 *   position and velocity relative to the ego, rotated into the ego's frame, over
 *   `perceptionDistance` and 2 v_ref; heading relative to the ego's; absent rows are zero.
 * All values are clipped to [-1, 1]. v_ref is the layout's reference speed (10 / 25 m/s).
 *
 * Reward of an agent each step (weights are options, defaults in brackets):
 *     r = w_progress  * progress / (v_ref dt)                        [0.1]
 *       - w_jerk      * min(1, (jerk / 50 m/s^3)^2)                  [0.02]
 *       - w_steering  * min(1, (steering rate / 1 rad/s)^2)          [0.02]
 *       - w_collision * [crashed into a vehicle or left the road]    [10]
 *       + w_arrival   * [reached the end of its route]               [1]
 * where progress is the distance gained along the route in this step (so driving at v_ref
 * earns w_progress per step) and jerk, steering rate are finite differences of the applied
 * controls.
 *
 * Episode end: an agent is terminated when it collides (SAT overlap of the 5 m x 2 m rectangles,
 * with any vehicle), leaves the road or arrives; its vehicle is then removed from the road. All
 * live agents are truncated after `maxSteps` steps.
 */
import { z } from 'zod';
import { ConfigError, ValueError } from '../../../core/errors.js';
import type { Generator } from '../../../core/rng.js';
import type { Info, ResetArgs } from '../../env.js';
import { EnvError, describeValue } from '../../errors.js';
import {
  ParallelEnv,
  type AgentDict,
  type ParallelResetResult,
  type ParallelStepResult,
} from '../../parallel-env.js';
import { Box } from '../../spaces/box.js';
import { Discrete } from '../../spaces/discrete.js';
import type { Space } from '../../spaces/space.js';
import { wrapToPi } from './geometry.js';
import { IDM, Vehicle, clip, speedControl, steeringControl } from './vehicle.js';
import { TrafficWorld, type RoadLayout } from './world.js';

/** Meta-actions of the discrete action space. */
export const META_ACTIONS = ['keep', 'accelerate', 'brake', 'left', 'right'] as const;
export const FEATURES = ['presence', 'x', 'y', 'vx', 'vy', 'cos_h', 'sin_h'] as const;
const F = FEATURES.length;
const CONTINUOUS_ACC = 5;
const CONTINUOUS_STEER = Math.PI / 4;
const JERK_SCALE = 50;
const STEER_RATE_SCALE = 1;

export type TrafficAction = number | ArrayLike<number>;

export const rewardWeightsSchema = z
  .object({
    progress: z.number().default(0.1),
    jerk: z.number().min(0).default(0.02),
    steering: z.number().min(0).default(0.02),
    collision: z.number().min(0).default(10),
    arrival: z.number().default(1),
  })
  .strict();
export type RewardWeights = z.output<typeof rewardWeightsSchema>;

/** Options every traffic env takes. */
export const trafficCommonShape = {
  continuousActions: z.boolean().default(false),
  /** K: rows of the observation, the ego included. */
  vehiclesObserved: z.number().int().min(1).max(64).default(5),
  perceptionDistance: z.number().positive().default(100),
  dt: z.number().positive().max(1).default(0.1),
  rewardWeights: rewardWeightsSchema.prefault({}),
};

/** A layout the env can drive agents on: world rules plus what the env needs to know. */
export interface AgentLayout extends RoadLayout {
  clear(): void;
  populate(world: TrafficWorld, rng: Generator): void;
  progress(v: Vehicle): number;
  arrived(v: Vehicle): boolean;
  changeLane(v: Vehicle, dir: -1 | 1): boolean;
  egoFeatures(v: Vehicle): [number, number];
}

export interface TrafficEnvConfig {
  numAgents: number;
  maxSteps: number;
  continuousActions: boolean;
  vehiclesObserved: number;
  perceptionDistance: number;
  dt: number;
  rewardWeights: RewardWeights;
  /** Cruise speeds the accelerate / brake meta-actions step through (m/s). */
  targetSpeeds: number[];
}

interface AgentState {
  vehicle: Vehicle;
  speedIndex: number;
  prevAcceleration: number;
  prevSteering: number;
  prevProgress: number;
}

export function parseOptions<S extends z.ZodTypeAny>(
  schema: S,
  env: string,
  options: unknown,
): z.output<S> {
  const r = schema.safeParse(options ?? {});
  if (!r.success) {
    throw new ConfigError(`${env}: invalid options: ${r.error.message}`, { cause: r.error });
  }
  return r.data;
}

export abstract class TrafficEnv extends ParallelEnv<Float32Array, TrafficAction> {
  readonly possibleAgents: readonly string[];
  private readonly obsSpace: Box;
  private readonly actSpace: Space<TrafficAction>;
  private _world: TrafficWorld | null = null;
  private readonly state_ = new Map<string, AgentState>();
  private steps = 0;

  constructor(
    readonly layout: AgentLayout,
    readonly config: TrafficEnvConfig,
    readonly name: string,
  ) {
    super();
    if (!Number.isInteger(config.numAgents) || config.numAgents < 1) {
      throw new ValueError(
        `${name}: numAgents must be a positive integer, got ${config.numAgents}`,
      );
    }
    this.possibleAgents = Object.freeze(
      Array.from({ length: config.numAgents }, (_, i) => `agent_${i}`),
    );
    this.obsSpace = new Box(-1, 1, [config.vehiclesObserved, F]);
    this.actSpace = (
      config.continuousActions ? new Box(-1, 1, [2]) : new Discrete(META_ACTIONS.length)
    ) as Space<TrafficAction>;
    this.metadata = { renderModes: [], name, isParallelizable: true };
  }

  /** Place one controlled vehicle per agent (in possibleAgents order) on a cleared world. */
  protected abstract placeAgents(world: TrafficWorld, rng: Generator): Vehicle[];

  /** The simulation (for inspection and tests); null before the first reset. */
  get world(): TrafficWorld | null {
    return this._world;
  }

  /** The vehicle an agent drives, while the agent is live. */
  vehicleOf(agent: string): Vehicle | undefined {
    return this.state_.get(agent)?.vehicle;
  }

  observationSpace(agent: string): Box {
    this.checkAgent(agent);
    return this.obsSpace;
  }

  actionSpace(agent: string): Space<TrafficAction> {
    this.checkAgent(agent);
    return this.actSpace;
  }

  private checkAgent(agent: string): void {
    if (!this.possibleAgents.includes(agent))
      throw new EnvError(`${this}: unknown agent '${agent}'`);
  }

  reset(args?: ResetArgs): ParallelResetResult<Float32Array> {
    this.seedReset(args);
    const rng = this.npRandom;
    this.layout.clear();
    const world = new TrafficWorld(this.layout, rng);
    this._world = world;
    const vehicles = this.placeAgents(world, rng);
    this.layout.populate(world, rng);
    this.state_.clear();
    const speeds = this.config.targetSpeeds;
    this.possibleAgents.forEach((name, i) => {
      const v = vehicles[i];
      // Start from the target speed closest to the initial speed.
      let speedIndex = 0;
      speeds.forEach((s, k) => {
        if (Math.abs(s - v.speed) < Math.abs(speeds[speedIndex] - v.speed)) speedIndex = k;
      });
      v.targetSpeed = speeds[speedIndex];
      this.state_.set(name, {
        vehicle: v,
        speedIndex,
        prevAcceleration: 0,
        prevSteering: 0,
        prevProgress: this.layout.progress(v),
      });
    });
    this.steps = 0;
    this.agents = [...this.possibleAgents];
    const observations: AgentDict<Float32Array> = {};
    const infos: AgentDict<Info> = {};
    for (const name of this.agents) {
      observations[name] = this.observe(name);
      infos[name] = {};
    }
    return { observations, infos };
  }

  step(actions: AgentDict<TrafficAction>): ParallelStepResult<Float32Array> {
    const world = this._world;
    if (world === null) throw new EnvError(`${this}: step() called before reset()`);
    const live = this.agents;
    if (live.length === 0) {
      throw new EnvError(`${this}: step() called after the episode ended; call reset()`);
    }
    if (actions === null || typeof actions !== 'object') {
      throw new EnvError(
        `${this}: actions must be a dict keyed by agent, got ${describeValue(actions)}`,
      );
    }
    for (const key of Object.keys(actions)) {
      if (!live.includes(key)) {
        throw new EnvError(`${this}: action given for '${key}', which is not a live agent`);
      }
    }
    for (const name of live) {
      if (!Object.hasOwn(actions, name)) {
        throw new EnvError(`${this}: no action for live agent '${name}'`);
      }
      const action = actions[name];
      if (!this.actSpace.contains(action)) {
        throw new EnvError(
          `${this}: action ${describeValue(action)} for '${name}' is not in ${this.actSpace}`,
        );
      }
      this.applyAction(this.state_.get(name)!, action);
    }

    const dt = this.config.dt;
    world.step(dt);
    this.steps += 1;

    const w = this.config.rewardWeights;
    const vRef = this.layout.referenceSpeed;
    const observations: AgentDict<Float32Array> = {};
    const rewards: AgentDict<number> = {};
    const terminations: AgentDict<boolean> = {};
    const truncations: AgentDict<boolean> = {};
    const infos: AgentDict<Info> = {};
    const ended: string[] = [];
    for (const name of live) {
      const st = this.state_.get(name)!;
      const v = st.vehicle;
      const crashed = v.crashed;
      const offRoad = !crashed && !this.layout.onRoad(v);
      const arrived = !crashed && !offRoad && this.layout.arrived(v);
      const progress = this.layout.progress(v);
      const jerk = (v.acceleration - st.prevAcceleration) / dt;
      const steerRate = (v.steering - st.prevSteering) / dt;
      rewards[name] =
        (w.progress * (progress - st.prevProgress)) / (vRef * dt) -
        w.jerk * Math.min(1, (jerk / JERK_SCALE) ** 2) -
        w.steering * Math.min(1, (steerRate / STEER_RATE_SCALE) ** 2) -
        (crashed || offRoad ? w.collision : 0) +
        (arrived ? w.arrival : 0);
      st.prevAcceleration = v.acceleration;
      st.prevSteering = v.steering;
      st.prevProgress = progress;
      terminations[name] = crashed || offRoad || arrived;
      truncations[name] = !terminations[name] && this.steps >= this.config.maxSteps;
      infos[name] = { crashed, offRoad, arrived, speed: v.speed, progress };
      observations[name] = this.observe(name);
      if (terminations[name] || truncations[name]) ended.push(name);
    }
    for (const name of ended) {
      world.remove(this.state_.get(name)!.vehicle);
      this.state_.delete(name);
    }
    this.agents = live.filter((a) => !ended.includes(a));
    return { observations, rewards, terminations, truncations, infos };
  }

  private applyAction(st: AgentState, action: TrafficAction): void {
    const v = st.vehicle;
    if (this.config.continuousActions) {
      const a = action as ArrayLike<number>;
      v.acceleration = clip(a[0], -1, 1) * CONTINUOUS_ACC;
      v.steering = clip(a[1], -1, 1) * CONTINUOUS_STEER;
      return;
    }
    const speeds = this.config.targetSpeeds;
    switch (action as number) {
      case 1:
        st.speedIndex = Math.min(st.speedIndex + 1, speeds.length - 1);
        break;
      case 2:
        st.speedIndex = Math.max(st.speedIndex - 1, 0);
        break;
      case 3:
        this.layout.changeLane(v, -1);
        break;
      case 4:
        this.layout.changeLane(v, 1);
        break;
      default:
        break;
    }
    v.targetSpeed = speeds[st.speedIndex];
    v.acceleration = clip(speedControl(v, v.targetSpeed), -IDM.ACC_MAX, IDM.ACC_MAX);
    v.steering = steeringControl(v, v.path);
  }

  /** The agent's current observation (fresh array); zeros once its vehicle has left the road. */
  observe(agent: string): Float32Array {
    this.checkAgent(agent);
    const K = this.config.vehiclesObserved;
    const out = new Float32Array(K * F);
    const st = this.state_.get(agent);
    const world = this._world;
    if (!st || !world) return out;
    const v = st.vehicle;
    const vScale = 2 * this.layout.referenceSpeed;
    const dh = wrapToPi(v.heading - v.path.heading(v.coords.s));
    const [ex, ey] = this.layout.egoFeatures(v);
    out[0] = 1;
    out[1] = ex;
    out[2] = ey;
    out[3] = (v.speed * Math.cos(dh)) / vScale;
    out[4] = (v.speed * Math.sin(dh)) / vScale;
    out[5] = Math.cos(dh);
    out[6] = Math.sin(dh);
    const range = this.config.perceptionDistance;
    const near: { u: Vehicle; d: number }[] = [];
    for (const u of world.vehicles) {
      if (u === v) continue;
      const d = Math.hypot(u.x - v.x, u.y - v.y);
      if (d <= range) near.push({ u, d });
    }
    near.sort((a, b) => a.d - b.d || a.u.id - b.u.id);
    const c = Math.cos(v.heading);
    const s = Math.sin(v.heading);
    for (let k = 0; k < Math.min(K - 1, near.length); k++) {
      const u = near[k].u;
      const o = (k + 1) * F;
      const dx = u.x - v.x;
      const dy = u.y - v.y;
      const dvx = u.vx - v.vx;
      const dvy = u.vy - v.vy;
      out[o] = 1;
      out[o + 1] = (c * dx + s * dy) / range;
      out[o + 2] = (-s * dx + c * dy) / range;
      out[o + 3] = (c * dvx + s * dvy) / vScale;
      out[o + 4] = (-s * dvx + c * dvy) / vScale;
      out[o + 5] = Math.cos(u.heading - v.heading);
      out[o + 6] = Math.sin(u.heading - v.heading);
    }
    for (let i = 0; i < out.length; i++) out[i] = clip(out[i], -1, 1);
    return out;
  }

  /** Number of steps taken in this episode. */
  get elapsedSteps(): number {
    return this.steps;
  }

  override toString(): string {
    return `<${this.constructor.name}<${this.spec?.id ?? this.name}>>`;
  }
}
