import { Discrete, type Box } from '../../spaces/index.js';
import type { PpoBatch } from '../ppo/update.js';
import type { Group } from './layout.js';

/** Rollout storage of one group, step-major: row t * streams + e * groupSize + slot. */
export class GroupBuffers {
  readonly streams: number;
  readonly actorObs: Float32Array;
  readonly criticObs: Float32Array;
  readonly actions: Int32Array | Float32Array;
  readonly actionDim: number;
  readonly logp: Float32Array;
  readonly values: Float32Array;
  readonly rewards: Float64Array;
  readonly term: Uint8Array;
  readonly trunc: Uint8Array;
  readonly valid: Uint8Array;
  readonly boot: Float64Array;

  constructor(
    readonly group: Group,
    numEnvs: number,
    readonly T: number,
    central: boolean,
  ) {
    this.streams = numEnvs * group.agents.length;
    const rows = T * this.streams;
    this.actorObs = new Float32Array(rows * group.actorDim);
    this.criticObs = central ? new Float32Array(rows * group.criticDim) : this.actorObs;
    const discrete = group.actionSpace instanceof Discrete;
    this.actionDim = discrete ? 1 : (group.actionSpace as Box).size;
    this.actions = discrete ? new Int32Array(rows) : new Float32Array(rows * this.actionDim);
    this.logp = new Float32Array(rows);
    this.values = new Float32Array(rows);
    this.rewards = new Float64Array(rows);
    this.term = new Uint8Array(rows);
    this.trunc = new Uint8Array(rows);
    this.valid = new Uint8Array(rows);
    this.boot = new Float64Array(rows);
  }

  /** The valid rows with their advantages and returns, as a PpoBatch. */
  compact(values: Float64Array, adv: Float64Array, ret: Float64Array): PpoBatch {
    const { actorDim: dA, criticDim: dC } = this.group;
    const A = this.actionDim;
    const shared = this.criticObs === this.actorObs;
    let n = 0;
    for (const v of this.valid) n += v;
    const actorObs = new Float32Array(n * dA);
    const criticObs = shared ? actorObs : new Float32Array(n * dC);
    const actions =
      this.actions instanceof Int32Array ? new Int32Array(n) : new Float32Array(n * A);
    const b: PpoBatch = {
      size: n,
      actorDim: dA,
      actorObs,
      criticDim: dC,
      criticObs,
      actions,
      actionDim: A,
      logProbs: new Float32Array(n),
      values: new Float32Array(n),
      advantages: new Float64Array(n),
      returns: new Float64Array(n),
    };
    let j = 0;
    for (let k = 0; k < this.valid.length; k++) {
      if (!this.valid[k]) continue;
      actorObs.set(this.actorObs.subarray(k * dA, k * dA + dA), j * dA);
      if (!shared) criticObs.set(this.criticObs.subarray(k * dC, k * dC + dC), j * dC);
      actions.set(this.actions.subarray(k * A, k * A + A), j * A);
      b.logProbs[j] = this.logp[k];
      b.values[j] = values[k];
      b.advantages[j] = adv[k];
      b.returns[j] = ret[k];
      j++;
    }
    return b;
  }
}
