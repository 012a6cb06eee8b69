/**
 * MPE scenarios: how a world is built and reset, and what each agent observes and earns.
 * Restated from PettingZoo's `simple_spread`, `simple_tag` and `simple_speaker_listener`
 * (the v3 / v4 environment versions).
 *
 * A scenario owns its World. Observations are written into caller-owned Float32Arrays so that the
 * env (and the benchmark) can decide when to allocate.
 */
import type { Generator } from '../../../core/rng.js';
import { Agent, Landmark, World, distance, isCollision } from './core.js';

export interface Scenario {
  readonly world: World;
  /** Fresh random initial state drawn from `rng`. */
  resetWorld(rng: Generator): void;
  /** The agent's own reward (the local part when the env mixes in a global reward). */
  reward(agent: Agent): number;
  /** A reward shared by all agents, mixed in with weight (1 - localRatio); absent if none. */
  globalReward?(): number;
  /** Length of the agent's observation vector. */
  obsDim(agent: Agent): number;
  /** Write the agent's observation into `out` (length obsDim(agent)) starting at `offset`. */
  observe(agent: Agent, out: Float32Array, offset?: number): void;
}

/** Write (x, y) minus the agent's position at `o`; returns the next offset. */
function writeRel(out: Float32Array, o: number, self: Agent, x: number, y: number): number {
  out[o] = x - self.pos[0];
  out[o + 1] = y - self.pos[1];
  return o + 2;
}

export interface SimpleSpreadConfig {
  numAgents: number;
  numLandmarks: number;
  /**
   * Where the rewarded point lies relative to each landmark (x, y); [0, 0] is PettingZoo's
   * simple_spread. It is not observed: a hidden task parameter (see SimpleSpreadEnv).
   */
  goalOffset?: readonly [number, number];
}

/**
 * simple_spread: N agents must cover N landmarks. Global reward: minus the sum over landmarks of
 * the distance to the closest agent (to the landmark moved by `goalOffset`, zero by default).
 * Local reward: -1 for each other agent the agent overlaps.
 * Observation: [self_vel(2), self_pos(2), landmark_rel(2L), other_rel(2(N-1)), other_comm(2(N-1))]
 * (agents are silent, so the communication part is always zero, as in PettingZoo).
 */
export class SimpleSpreadScenario implements Scenario {
  readonly world: World;
  private readonly offset: readonly [number, number];

  constructor(readonly config: SimpleSpreadConfig) {
    this.offset = config.goalOffset ?? [0, 0];
    const world = new World(2);
    for (let i = 0; i < config.numAgents; i++) {
      const agent = new Agent(`agent_${i}`, world.dimC);
      agent.collide = true;
      agent.silent = true;
      agent.size = 0.15;
      agent.setColor(0.35, 0.35, 0.85);
      world.agents.push(agent);
    }
    for (let i = 0; i < config.numLandmarks; i++) {
      const lm = new Landmark(`landmark_${i}`);
      lm.collide = false;
      lm.movable = false;
      lm.setColor(0.25, 0.25, 0.25);
      world.landmarks.push(lm);
    }
    world.rebuild();
    this.world = world;
  }

  resetWorld(rng: Generator): void {
    for (const agent of this.world.agents) {
      agent.pos[0] = rng.uniformRange(-1, 1);
      agent.pos[1] = rng.uniformRange(-1, 1);
      agent.vel.fill(0);
      agent.c.fill(0);
    }
    for (const lm of this.world.landmarks) {
      lm.pos[0] = rng.uniformRange(-1, 1);
      lm.pos[1] = rng.uniformRange(-1, 1);
      lm.vel.fill(0);
    }
  }

  reward(agent: Agent): number {
    let rew = 0;
    if (agent.collide) {
      for (const a of this.world.agents) {
        if (a !== agent && isCollision(a, agent)) rew -= 1;
      }
    }
    return rew;
  }

  globalReward(): number {
    const [ox, oy] = this.offset;
    let rew = 0;
    for (const lm of this.world.landmarks) {
      let best = Infinity;
      for (const a of this.world.agents) {
        // PettingZoo's exact expression when there is no offset (the golden test holds it).
        const d =
          ox === 0 && oy === 0
            ? distance(a, lm)
            : Math.hypot(a.pos[0] - lm.pos[0] - ox, a.pos[1] - lm.pos[1] - oy);
        if (d < best) best = d;
      }
      rew -= best;
    }
    return rew;
  }

  obsDim(): number {
    const n = this.world.agents.length;
    return 4 + 2 * this.world.landmarks.length + 2 * (n - 1) + this.world.dimC * (n - 1);
  }

  observe(agent: Agent, out: Float32Array, offset = 0): void {
    let o = offset;
    out[o++] = agent.vel[0];
    out[o++] = agent.vel[1];
    out[o++] = agent.pos[0];
    out[o++] = agent.pos[1];
    for (const lm of this.world.landmarks) o = writeRel(out, o, agent, lm.pos[0], lm.pos[1]);
    for (const other of this.world.agents) {
      if (other !== agent) o = writeRel(out, o, agent, other.pos[0], other.pos[1]);
    }
    for (const other of this.world.agents) {
      if (other === agent) continue;
      for (let j = 0; j < other.c.length; j++) out[o++] = other.c[j];
    }
  }
}

export interface SimpleTagConfig {
  numGood: number;
  numAdversaries: number;
  numObstacles: number;
}

/** Penalty for a good agent at |coordinate| x: zero inside 0.9, linear to 1, then exp, capped. */
export function tagBound(x: number): number {
  if (x < 0.9) return 0;
  if (x < 1.0) return (x - 0.9) * 10;
  return Math.min(Math.exp(2 * x - 2), 10);
}

/**
 * simple_tag (predator-prey): slower, larger adversaries (size 0.075, accel 3, max speed 1)
 * chase faster good agents (size 0.05, accel 4, max speed 1.3) among obstacles (size 0.2).
 * Every adversary earns +10 for each (good, adversary) contact; a good agent loses 10 per
 * adversary touching it and a boundary penalty `tagBound(|x|) + tagBound(|y|)`.
 * Observation: [self_vel, self_pos, obstacle_rel, other_rel, good_other_vel].
 * Agents are ordered adversary_0.., then agent_0.. as in PettingZoo.
 */
export class SimpleTagScenario implements Scenario {
  readonly world: World;
  private readonly good: Agent[] = [];
  private readonly adversaries: Agent[] = [];

  constructor(readonly config: SimpleTagConfig) {
    const world = new World(2);
    const total = config.numAdversaries + config.numGood;
    for (let i = 0; i < total; i++) {
      const adversary = i < config.numAdversaries;
      const name = adversary ? `adversary_${i}` : `agent_${i - config.numAdversaries}`;
      const agent = new Agent(name, world.dimC);
      agent.adversary = adversary;
      agent.collide = true;
      agent.silent = true;
      agent.size = adversary ? 0.075 : 0.05;
      agent.accel = adversary ? 3.0 : 4.0;
      agent.maxSpeed = adversary ? 1.0 : 1.3;
      if (adversary) agent.setColor(0.85, 0.35, 0.35);
      else agent.setColor(0.35, 0.85, 0.35);
      world.agents.push(agent);
      (adversary ? this.adversaries : this.good).push(agent);
    }
    for (let i = 0; i < config.numObstacles; i++) {
      const lm = new Landmark(`landmark_${i}`);
      lm.collide = true;
      lm.movable = false;
      lm.size = 0.2;
      lm.setColor(0.25, 0.25, 0.25);
      world.landmarks.push(lm);
    }
    world.rebuild();
    this.world = world;
  }

  resetWorld(rng: Generator): void {
    for (const agent of this.world.agents) {
      agent.pos[0] = rng.uniformRange(-1, 1);
      agent.pos[1] = rng.uniformRange(-1, 1);
      agent.vel.fill(0);
      agent.c.fill(0);
    }
    for (const lm of this.world.landmarks) {
      lm.pos[0] = rng.uniformRange(-0.9, 0.9);
      lm.pos[1] = rng.uniformRange(-0.9, 0.9);
      lm.vel.fill(0);
    }
  }

  reward(agent: Agent): number {
    return agent.adversary ? this.adversaryReward(agent) : this.agentReward(agent);
  }

  private agentReward(agent: Agent): number {
    let rew = 0;
    if (agent.collide) {
      for (const adv of this.adversaries) if (isCollision(adv, agent)) rew -= 10;
    }
    rew -= tagBound(Math.abs(agent.pos[0]));
    rew -= tagBound(Math.abs(agent.pos[1]));
    return rew;
  }

  private adversaryReward(agent: Agent): number {
    let rew = 0;
    if (agent.collide) {
      for (const g of this.good) {
        for (const adv of this.adversaries) if (isCollision(g, adv)) rew += 10;
      }
    }
    return rew;
  }

  obsDim(agent: Agent): number {
    const n = this.world.agents.length;
    const otherGood = this.good.length - (agent.adversary ? 0 : 1);
    return 4 + 2 * this.world.landmarks.length + 2 * (n - 1) + 2 * otherGood;
  }

  observe(agent: Agent, out: Float32Array, offset = 0): void {
    let o = offset;
    out[o++] = agent.vel[0];
    out[o++] = agent.vel[1];
    out[o++] = agent.pos[0];
    out[o++] = agent.pos[1];
    for (const lm of this.world.landmarks) o = writeRel(out, o, agent, lm.pos[0], lm.pos[1]);
    for (const other of this.world.agents) {
      if (other !== agent) o = writeRel(out, o, agent, other.pos[0], other.pos[1]);
    }
    for (const other of this.world.agents) {
      if (other === agent || other.adversary) continue;
      out[o++] = other.vel[0];
      out[o++] = other.vel[1];
    }
  }
}

/** Landmark colours in simple_speaker_listener: red, green, blue. */
const SPEAKER_LISTENER_COLORS: readonly [number, number, number][] = [
  [0.65, 0.15, 0.15],
  [0.15, 0.65, 0.15],
  [0.15, 0.15, 0.65],
];

/**
 * simple_speaker_listener: an immovable speaker sees the goal landmark's colour and says a
 * 3-dimensional word; a silent listener hears it and moves. Both earn minus the squared distance
 * from the listener to the goal landmark.
 * Observations: speaker [goal_color(3)]; listener [self_vel(2), landmark_rel(6), speaker_comm(3)].
 */
export class SimpleSpeakerListenerScenario implements Scenario {
  readonly world: World;
  readonly speaker: Agent;
  readonly listener: Agent;
  /** Index of the goal landmark for this episode. */
  goal = 0;

  constructor() {
    const world = new World(3);
    this.speaker = new Agent('speaker_0', world.dimC);
    this.listener = new Agent('listener_0', world.dimC);
    for (const agent of [this.speaker, this.listener]) {
      agent.collide = false;
      agent.size = 0.075;
      agent.setColor(0.25, 0.25, 0.25);
      world.agents.push(agent);
    }
    this.speaker.movable = false;
    this.listener.silent = true;
    for (let i = 0; i < 3; i++) {
      const lm = new Landmark(`landmark_${i}`);
      lm.collide = false;
      lm.movable = false;
      lm.size = 0.04;
      world.landmarks.push(lm);
    }
    world.rebuild();
    this.world = world;
  }

  /** Make landmark `goal` the target and recolour as PettingZoo does. */
  setGoal(goal: number): void {
    this.goal = goal;
    this.world.landmarks.forEach((lm, i) => lm.setColor(...SPEAKER_LISTENER_COLORS[i]));
    const [r, g, b] = SPEAKER_LISTENER_COLORS[goal];
    this.speaker.setColor(0.25, 0.25, 0.25);
    this.listener.setColor(r + 0.45, g + 0.45, b + 0.45);
  }

  resetWorld(rng: Generator): void {
    this.setGoal(rng.int(this.world.landmarks.length));
    for (const agent of this.world.agents) {
      agent.pos[0] = rng.uniformRange(-1, 1);
      agent.pos[1] = rng.uniformRange(-1, 1);
      agent.vel.fill(0);
      agent.c.fill(0);
    }
    for (const lm of this.world.landmarks) {
      lm.pos[0] = rng.uniformRange(-1, 1);
      lm.pos[1] = rng.uniformRange(-1, 1);
      lm.vel.fill(0);
    }
  }

  reward(): number {
    const goal = this.world.landmarks[this.goal];
    const dx = this.listener.pos[0] - goal.pos[0];
    const dy = this.listener.pos[1] - goal.pos[1];
    return -(dx * dx + dy * dy);
  }

  obsDim(agent: Agent): number {
    return agent === this.speaker ? this.world.dimColor : 2 + 2 * 3 + this.world.dimC;
  }

  observe(agent: Agent, out: Float32Array, offset = 0): void {
    let o = offset;
    if (agent === this.speaker) {
      const color = this.world.landmarks[this.goal].color;
      out[o++] = color[0];
      out[o++] = color[1];
      out[o++] = color[2];
      return;
    }
    out[o++] = agent.vel[0];
    out[o++] = agent.vel[1];
    for (const lm of this.world.landmarks) o = writeRel(out, o, agent, lm.pos[0], lm.pos[1]);
    for (let j = 0; j < this.speaker.c.length; j++) out[o++] = this.speaker.c[j];
  }
}
