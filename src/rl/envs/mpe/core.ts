/**
 * The Multi-Agent Particle Environment (MPE) physics, restated from PettingZoo's
 * `pettingzoo/mpe/_mpe_utils/core.py` (Lowe et al. 2017, "Multi-Agent Actor-Critic for Mixed
 * Cooperative-Competitive Environments").
 *
 * Model (2-D, SI-free "world units"):
 * - Every entity is a disc with a `size` (radius), a `mass` (1 unless set) and a state
 *   (position, velocity). Landmarks are static by default; agents are movable.
 * - Each step an agent's physical action becomes a force `u` (already scaled by its `accel`,
 *   5 when unset). Every pair of colliding entities adds a soft contact force
 *       penetration = k * softplus(-(dist - (size_a + size_b)) / k),  k = contactMargin = 1e-3
 *       f_a = +contactForce * (p_a - p_b) / dist * penetration,        contactForce = 100
 *   and f_b = -f_a; a static entity takes no force.
 * - Integration is PettingZoo's semi-implicit Euler with dt = 0.1 and damping 0.25:
 *       v <- v * (1 - damping) + (f / m) * dt;  |v| clipped to maxSpeed;  p <- p + v * dt
 *   (MPE2 later moved the position update before the velocity update; we follow PettingZoo.)
 * - Agents that are not silent broadcast their communication action as their state `c`.
 *
 * Differences from the Python: no per-step allocation (forces live in one preallocated buffer),
 * motor/communication noise draws from the world's seeded Generator instead of the global numpy
 * RNG, and two entities at exactly the same point exert no force on each other (PettingZoo divides
 * by zero and propagates NaN).
 */
import type { Generator } from '../../../core/rng.js';

/** Physical properties and state of anything in the world. */
export class Entity {
  /** Radius of the disc. */
  size = 0.05;
  /** Whether forces can move it. */
  movable = false;
  /** Whether it takes part in contact forces. */
  collide = true;
  /** Kept for parity with PettingZoo; mass does not depend on it there either. */
  density = 25.0;
  /** RGB in [0, 1]; some scenarios put it in observations (speaker-listener). */
  readonly color = new Float64Array(3);
  /** Speed limit, or null for none. */
  maxSpeed: number | null = null;
  /** Scale from a unit action to a force, or null for the default (5). */
  accel: number | null = null;
  initialMass = 1.0;
  readonly pos = new Float64Array(2);
  readonly vel = new Float64Array(2);

  constructor(public name: string) {}

  get mass(): number {
    return this.initialMass;
  }

  setColor(r: number, g: number, b: number): void {
    this.color[0] = r;
    this.color[1] = g;
    this.color[2] = b;
  }
}

/** A static (by default) point of interest: a goal, an obstacle. */
export class Landmark extends Entity {}

/** A controllable entity with an action and (unless silent) a communication state. */
export class Agent extends Entity {
  override movable = true;
  /** A silent agent cannot communicate; its state `c` stays zero. */
  silent = false;
  blind = false;
  /** Standard deviation of Gaussian motor noise, or null. */
  uNoise: number | null = null;
  /** Standard deviation of Gaussian communication noise, or null. */
  cNoise: number | null = null;
  uRange = 1.0;
  /** Predator-prey scenarios split agents into adversaries and good agents. */
  adversary = false;
  /** Physical action (a force), set by the env before each world step. */
  readonly actionU = new Float64Array(2);
  /** Communication action, length dimC. */
  actionC: Float64Array;
  /** Communication state, length dimC: what the others hear. */
  c: Float64Array;

  constructor(name: string, dimC: number) {
    super(name);
    this.actionC = new Float64Array(dimC);
    this.c = new Float64Array(dimC);
  }
}

/** Numerically stable log(1 + exp(x)), as numpy's logaddexp(0, x). */
export function softplus(x: number): number {
  if (x === 0) return Math.LN2;
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** The world: its entities, physical constants and one integration step. */
export class World {
  agents: Agent[] = [];
  landmarks: Landmark[] = [];
  readonly dimP = 2;
  readonly dimColor = 3;
  dt = 0.1;
  damping = 0.25;
  contactForce = 1e2;
  contactMargin = 1e-3;
  /** Source of motor/communication noise; only used when an agent has uNoise or cNoise. */
  rng: Generator | null = null;

  private entityList: Entity[] = [];
  private force = new Float64Array(0);

  /** @param dimC communication channel width */
  constructor(public readonly dimC: number) {}

  /** Agents first, then landmarks, the order forces and observations use. */
  get entities(): readonly Entity[] {
    const n = this.agents.length + this.landmarks.length;
    if (this.entityList.length !== n) this.rebuild();
    return this.entityList;
  }

  /** Call after changing `agents` or `landmarks` in place (a length change is noticed anyway). */
  rebuild(): void {
    this.entityList = [...this.agents, ...this.landmarks];
    this.force = new Float64Array(2 * this.entityList.length);
  }

  /** Advance one dt: action forces, contact forces, integration, communication state. */
  step(): void {
    const entities = this.entities;
    const force = this.force;
    force.fill(0);
    this.applyActionForce(force);
    this.applyEnvironmentForce(entities, force);
    this.integrateState(entities, force);
    for (const agent of this.agents) this.updateAgentState(agent);
  }

  private noise(std: number): number {
    if (this.rng === null) {
      throw new Error('World: an agent has uNoise/cNoise but world.rng is not set');
    }
    return this.rng.normal() * std;
  }

  private applyActionForce(force: Float64Array): void {
    for (let i = 0; i < this.agents.length; i++) {
      const agent = this.agents[i];
      if (!agent.movable) continue;
      let fx = agent.actionU[0];
      let fy = agent.actionU[1];
      if (agent.uNoise) {
        fx += this.noise(agent.uNoise);
        fy += this.noise(agent.uNoise);
      }
      force[2 * i] = fx;
      force[2 * i + 1] = fy;
    }
  }

  private applyEnvironmentForce(entities: readonly Entity[], force: Float64Array): void {
    const n = entities.length;
    const k = this.contactMargin;
    for (let a = 0; a < n; a++) {
      const ea = entities[a];
      if (!ea.collide) continue;
      for (let b = a + 1; b < n; b++) {
        const eb = entities[b];
        if (!eb.collide) continue;
        if (!ea.movable && !eb.movable) continue;
        const dx = ea.pos[0] - eb.pos[0];
        const dy = ea.pos[1] - eb.pos[1];
        const dist = Math.sqrt(dx * dx + dy * dy);
        if (dist === 0) continue;
        const distMin = ea.size + eb.size;
        const penetration = softplus(-(dist - distMin) / k) * k;
        // Same operation order as PettingZoo: contact_force * delta_pos / dist * penetration.
        const fx = ((this.contactForce * dx) / dist) * penetration;
        const fy = ((this.contactForce * dy) / dist) * penetration;
        if (ea.movable) {
          force[2 * a] += fx;
          force[2 * a + 1] += fy;
        }
        if (eb.movable) {
          force[2 * b] -= fx;
          force[2 * b + 1] -= fy;
        }
      }
    }
  }

  private integrateState(entities: readonly Entity[], force: Float64Array): void {
    const keep = 1 - this.damping;
    const dt = this.dt;
    for (let i = 0; i < entities.length; i++) {
      const e = entities[i];
      if (!e.movable) continue;
      const v = e.vel;
      const m = e.mass;
      v[0] = v[0] * keep + (force[2 * i] / m) * dt;
      v[1] = v[1] * keep + (force[2 * i + 1] / m) * dt;
      if (e.maxSpeed !== null) {
        const speed = Math.sqrt(v[0] * v[0] + v[1] * v[1]);
        if (speed > e.maxSpeed) {
          v[0] = (v[0] / speed) * e.maxSpeed;
          v[1] = (v[1] / speed) * e.maxSpeed;
        }
      }
      e.pos[0] += v[0] * dt;
      e.pos[1] += v[1] * dt;
    }
  }

  private updateAgentState(agent: Agent): void {
    if (agent.silent) {
      agent.c.fill(0);
      return;
    }
    for (let j = 0; j < this.dimC; j++) {
      agent.c[j] = agent.actionC[j] + (agent.cNoise ? this.noise(agent.cNoise) : 0);
    }
  }
}

/** True when two discs overlap (strictly), PettingZoo's `is_collision`. */
export function isCollision(a: Entity, b: Entity): boolean {
  const dx = a.pos[0] - b.pos[0];
  const dy = a.pos[1] - b.pos[1];
  return Math.sqrt(dx * dx + dy * dy) < a.size + b.size;
}

/** Euclidean distance between two entities' centres. */
export function distance(a: Entity, b: Entity): number {
  const dx = a.pos[0] - b.pos[0];
  const dy = a.pos[1] - b.pos[1];
  return Math.sqrt(dx * dx + dy * dy);
}

/** Number of physical action components for a movable agent: no-op, left, right, down, up. */
export const MOVE_DIM = 5;

/**
 * Turn an agent's action into its force and communication action, as PettingZoo's
 * `SimpleEnv._set_action`.
 *
 * Discrete: one integer `a`; for a movable agent `a % 5` picks the move (0 no-op, 1 -x, 2 +x,
 * 3 -y, 4 +y) and `floor(a / 5)` the one-hot word; an immovable speaker's integer is the word.
 * Continuous: a vector in [0, 1] (values outside are clipped, like PettingZoo's
 * ClipOutOfBoundsWrapper); the first 5 are [no-op, left, right, down, up] with
 * u = (right - left, up - down), the rest the raw communication vector. The x/y ordering is the
 * one PettingZoo 1.24.x adopted so continuous and discrete moves agree in direction.
 */
export function setAction(agent: Agent, action: number | ArrayLike<number>, continuous: boolean) {
  const u = agent.actionU;
  u[0] = 0;
  u[1] = 0;
  agent.actionC.fill(0);
  if (continuous) {
    const v = action as ArrayLike<number>;
    let offset = 0;
    if (agent.movable) {
      u[0] = clip01(v[2]) - clip01(v[1]);
      u[1] = clip01(v[4]) - clip01(v[3]);
      offset = MOVE_DIM;
    }
    if (!agent.silent) {
      for (let j = 0; j < agent.actionC.length; j++) agent.actionC[j] = clip01(v[offset + j]);
    }
  } else {
    let a = action as number;
    if (agent.movable) {
      const move = a % MOVE_DIM;
      a = Math.floor(a / MOVE_DIM);
      if (move === 1) u[0] = -1;
      else if (move === 2) u[0] = 1;
      else if (move === 3) u[1] = -1;
      else if (move === 4) u[1] = 1;
    }
    if (!agent.silent) agent.actionC[a] = 1;
  }
  if (agent.movable) {
    const sensitivity = agent.accel ?? 5.0;
    u[0] *= sensitivity;
    u[1] *= sensitivity;
  }
}

function clip01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/**
 * Size of an agent's action space: Discrete(n) or Box(n), as PettingZoo's SimpleEnv computes it.
 */
export function actionDim(agent: Agent, dimC: number, continuous: boolean): number {
  let dim: number;
  if (agent.movable) dim = MOVE_DIM;
  else dim = continuous ? 0 : 1;
  if (!agent.silent) dim = continuous ? dim + dimC : dim * dimC;
  return dim;
}
