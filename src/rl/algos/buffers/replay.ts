import { Tensor, ValueError, type Generator } from '../../../core/index.js';

/**
 * An experience replay buffer (SB3's ReplayBuffer with handle_timeout_termination): a ring of
 * preallocated typed arrays, overwritten oldest first once full, sampled uniformly with
 * replacement into batch tensors that are allocated once and reused, so adding and sampling
 * allocate nothing.
 *
 * It stores `terminated`, not `terminated || truncated`: a transition cut by a time limit is not
 * the end of the MDP, so its target still bootstraps from next_obs (which must be the real final
 * observation, not the next episode's first one).
 */
export interface ReplayBufferOptions {
  capacity: number;
  /** Length of a flattened observation. */
  obsDim: number;
  /** 'discrete': one int32 action per transition; 'continuous': `actionDim` floats. */
  actionType: 'discrete' | 'continuous';
  /** Floats per continuous action (ignored for discrete). */
  actionDim?: number;
  /** Rows per sampled batch. */
  batchSize: number;
}

/** A sampled batch; views into tensors the buffer reuses on the next sample() call. */
export interface ReplayBatch {
  observations: Tensor; // [B, obsDim]
  nextObservations: Tensor; // [B, obsDim]
  /** int32 [B] (discrete) or float32 [B, actionDim]. */
  actions: Tensor;
  rewards: Tensor; // [B]
  /** 1 where the transition ended the MDP (not a truncation), else 0: [B]. */
  terminations: Tensor; // [B]
  /** Buffer rows sampled. */
  indices: Int32Array;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly obsDim: number;
  readonly actionDim: number;
  readonly actionType: 'discrete' | 'continuous';
  readonly batchSize: number;
  readonly observations: Float32Array;
  readonly nextObservations: Float32Array;
  readonly actions: Int32Array | Float32Array;
  readonly rewards: Float32Array;
  readonly terminations: Float32Array;
  /** Next row to write. */
  pos = 0;
  full = false;
  private readonly batch: ReplayBatch;

  constructor(options: ReplayBufferOptions) {
    const { capacity, obsDim, batchSize, actionType } = options;
    for (const [name, v] of [
      ['capacity', capacity],
      ['obsDim', obsDim],
      ['batchSize', batchSize],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new ValueError(`ReplayBuffer: ${name} must be a positive integer, got ${v}`);
      }
    }
    if (actionType !== 'discrete' && actionType !== 'continuous') {
      throw new ValueError(
        `ReplayBuffer: actionType must be 'discrete' or 'continuous', got ${actionType}`,
      );
    }
    const actionDim = actionType === 'discrete' ? 1 : (options.actionDim ?? 0);
    if (!Number.isSafeInteger(actionDim) || actionDim < 1) {
      throw new ValueError(
        `ReplayBuffer: actionDim must be a positive integer for continuous actions, got ${options.actionDim}`,
      );
    }
    this.capacity = capacity;
    this.obsDim = obsDim;
    this.actionDim = actionDim;
    this.actionType = actionType;
    this.batchSize = batchSize;
    this.observations = new Float32Array(capacity * obsDim);
    this.nextObservations = new Float32Array(capacity * obsDim);
    this.actions =
      actionType === 'discrete' ? new Int32Array(capacity) : new Float32Array(capacity * actionDim);
    this.rewards = new Float32Array(capacity);
    this.terminations = new Float32Array(capacity);
    this.batch = {
      observations: new Tensor(new Float32Array(batchSize * obsDim), [batchSize, obsDim]),
      nextObservations: new Tensor(new Float32Array(batchSize * obsDim), [batchSize, obsDim]),
      actions:
        actionType === 'discrete'
          ? new Tensor(new Int32Array(batchSize), [batchSize])
          : new Tensor(new Float32Array(batchSize * actionDim), [batchSize, actionDim]),
      rewards: new Tensor(new Float32Array(batchSize), [batchSize]),
      terminations: new Tensor(new Float32Array(batchSize), [batchSize]),
      indices: new Int32Array(batchSize),
    };
  }

  /** Transitions held (at most capacity). */
  get size(): number {
    return this.full ? this.capacity : this.pos;
  }

  /**
   * Store one transition. `terminated` is the env's terminated flag: pass false for a time-limit
   * truncation so the target bootstraps from nextObs.
   */
  add(
    obs: ArrayLike<number>,
    nextObs: ArrayLike<number>,
    action: number | ArrayLike<number>,
    reward: number,
    terminated: boolean,
  ): void {
    if (obs.length !== this.obsDim || nextObs.length !== this.obsDim) {
      throw new ValueError(
        `ReplayBuffer.add: observations must have ${this.obsDim} values, got ${obs.length} and ${nextObs.length}`,
      );
    }
    const i = this.pos;
    this.observations.set(obs, i * this.obsDim);
    this.nextObservations.set(nextObs, i * this.obsDim);
    if (typeof action === 'number') {
      if (this.actionDim !== 1) {
        throw new ValueError(`ReplayBuffer.add: expected ${this.actionDim} action values, got 1`);
      }
      if (this.actionType === 'discrete' && !Number.isInteger(action)) {
        throw new ValueError(
          `ReplayBuffer.add: a discrete action must be an integer, got ${action}`,
        );
      }
      this.actions[i] = action;
    } else {
      if (action.length !== this.actionDim) {
        throw new ValueError(
          `ReplayBuffer.add: expected ${this.actionDim} action values, got ${action.length}`,
        );
      }
      this.actions.set(action, i * this.actionDim);
    }
    this.rewards[i] = reward;
    this.terminations[i] = terminated ? 1 : 0;
    this.pos += 1;
    if (this.pos === this.capacity) {
      this.pos = 0;
      this.full = true;
    }
  }

  /**
   * A uniform sample (with replacement, as SB3) of `batchSize` stored transitions, written into
   * the reused batch tensors: use it before the next sample().
   */
  sample(rng: Generator): ReplayBatch {
    const n = this.size;
    if (n === 0) throw new ValueError('ReplayBuffer.sample: the buffer is empty');
    const b = this.batch;
    const D = this.obsDim;
    const A = this.actionDim;
    const obs = b.observations.data as Float32Array;
    const next = b.nextObservations.data as Float32Array;
    const act = b.actions.data as Int32Array | Float32Array;
    const rew = b.rewards.data as Float32Array;
    const term = b.terminations.data as Float32Array;
    for (let k = 0; k < this.batchSize; k++) {
      const i = rng.int(n);
      b.indices[k] = i;
      obs.set(this.observations.subarray(i * D, (i + 1) * D), k * D);
      next.set(this.nextObservations.subarray(i * D, (i + 1) * D), k * D);
      if (A === 1) act[k] = this.actions[i];
      else act.set(this.actions.subarray(i * A, (i + 1) * A), k * A);
      rew[k] = this.rewards[i];
      term[k] = this.terminations[i];
    }
    return b;
  }
}
