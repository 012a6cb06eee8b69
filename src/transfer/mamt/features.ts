/**
 * Policy inputs for multi-agent task families, where the number of agents and landmarks (and so
 * the observation length) differs from task to task but one network must serve them all
 * (parameter sharing with agent-id inputs).
 *
 * - SpreadFeaturizer (SimpleSpread-v3): the observation [vel, pos, landmark rel. positions,
 *   other agents' rel. positions, comm] is re-laid into fixed slots for the family's largest
 *   counts: [vel(2), pos(2), landmarks (Lmax×2) + presence mask (Lmax), others ((Nmax−1)×2) +
 *   presence mask (Nmax−1), one-hot agent id (Nmax)]. Zero padding alone would read as "a
 *   landmark right here", hence the masks. The comm part is dropped (spread agents are silent).
 * - PaddedIdFeaturizer (any parallel env whose observations have one length across the family):
 *   the flattened observation zero-padded to `padDim`, then the one-hot agent id.
 */
import { ValueError } from '../../core/index.js';
import { flatten, type Space } from '../../rl/spaces/index.js';

export interface Featurizer {
  readonly dim: number;
  /** Write `agent`'s input for observation `obs` at out[offset .. offset + dim). */
  write(agent: string, obs: unknown, out: Float32Array, offset: number): void;
}

function agentIndex(agent: string): number {
  const m = /_(\d+)$/.exec(agent);
  if (!m) throw new ValueError(`featurizer: cannot read an agent index from '${agent}'`);
  return Number(m[1]);
}

export class SpreadFeaturizer implements Featurizer {
  readonly dim: number;

  constructor(
    readonly numAgents: number,
    readonly numLandmarks: number,
    readonly maxAgents: number,
    readonly maxLandmarks: number,
  ) {
    if (numAgents > maxAgents || numLandmarks > maxLandmarks) {
      throw new ValueError(
        `SpreadFeaturizer: task has ${numAgents} agents / ${numLandmarks} landmarks, more than the family's ${maxAgents} / ${maxLandmarks}`,
      );
    }
    this.dim = 4 + 3 * maxLandmarks + 3 * (maxAgents - 1) + maxAgents;
  }

  write(agent: string, obs: unknown, out: Float32Array, offset: number): void {
    const o = obs as ArrayLike<number>;
    const N = this.numAgents;
    const L = this.numLandmarks;
    const expected = 4 + 2 * L + 4 * (N - 1);
    if (o.length !== expected) {
      throw new ValueError(
        `SpreadFeaturizer: '${agent}' observation has ${o.length} values, expected ${expected} for ${N} agents and ${L} landmarks`,
      );
    }
    out.fill(0, offset, offset + this.dim);
    for (let i = 0; i < 4; i++) out[offset + i] = o[i];
    const lm = offset + 4;
    const lmMask = lm + 2 * this.maxLandmarks;
    for (let l = 0; l < L; l++) {
      out[lm + 2 * l] = o[4 + 2 * l];
      out[lm + 2 * l + 1] = o[4 + 2 * l + 1];
      out[lmMask + l] = 1;
    }
    const ot = lmMask + this.maxLandmarks;
    const otMask = ot + 2 * (this.maxAgents - 1);
    const src = 4 + 2 * L;
    for (let j = 0; j < N - 1; j++) {
      out[ot + 2 * j] = o[src + 2 * j];
      out[ot + 2 * j + 1] = o[src + 2 * j + 1];
      out[otMask + j] = 1;
    }
    const id = otMask + this.maxAgents - 1;
    const k = agentIndex(agent);
    if (k >= this.maxAgents)
      throw new ValueError(`SpreadFeaturizer: agent '${agent}' is beyond ${this.maxAgents}`);
    out[id + k] = 1;
  }
}

export class PaddedIdFeaturizer implements Featurizer {
  readonly dim: number;

  constructor(
    readonly spaces: (agent: string) => Space<unknown>,
    readonly padDim: number,
    readonly maxAgents: number,
  ) {
    this.dim = padDim + maxAgents;
  }

  write(agent: string, obs: unknown, out: Float32Array, offset: number): void {
    const flat = flatten(this.spaces(agent), obs);
    if (flat.length > this.padDim) {
      throw new ValueError(
        `PaddedIdFeaturizer: '${agent}' observation has ${flat.length} values, more than ${this.padDim}`,
      );
    }
    out.fill(0, offset, offset + this.dim);
    out.set(flat, offset);
    const k = agentIndex(agent);
    if (k >= this.maxAgents)
      throw new ValueError(`PaddedIdFeaturizer: agent '${agent}' is beyond ${this.maxAgents}`);
    out[offset + this.padDim + k] = 1;
  }
}
