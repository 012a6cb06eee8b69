import { performance } from 'node:perf_hooks';
import type { Env, ResetArgs, ResetResult, StepResult } from '../env.js';
import { EnvError } from '../errors.js';
import { Wrapper } from '../wrapper.js';

/** What RecordEpisodeStatistics puts in the final step's info: return, length, seconds. */
export interface EpisodeStatistics {
  r: number;
  l: number;
  t: number;
}

/**
 * Gymnasium's RecordEpisodeStatistics: at the end of an episode, `info.episode = {r, l, t}`;
 * the last `bufferLength` returns, lengths and times are kept in queues.
 */
export class RecordEpisodeStatistics<Obs, Act> extends Wrapper<Obs, Act> {
  episodeCount = 0;
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];
  private episodeStart = -1;
  private episodeReturn = 0;
  private episodeLength = 0;

  constructor(
    env: Env<Obs, Act>,
    readonly bufferLength = 100,
    readonly statsKey = 'episode',
  ) {
    super(env);
  }

  override reset(args?: ResetArgs): ResetResult<Obs> {
    const r = this.env.reset(args);
    this.episodeStart = performance.now();
    this.episodeReturn = 0;
    this.episodeLength = 0;
    return r;
  }

  override step(action: Act): StepResult<Obs> {
    const r = this.env.step(action);
    this.episodeReturn += r.reward;
    this.episodeLength += 1;
    if (r.terminated || r.truncated) {
      if (Object.hasOwn(r.info, this.statsKey)) {
        throw new EnvError(`RecordEpisodeStatistics: info already has key '${this.statsKey}'`);
      }
      const t = Math.round((performance.now() - this.episodeStart) * 1000) / 1e6;
      const stats: EpisodeStatistics = { r: this.episodeReturn, l: this.episodeLength, t };
      r.info = { ...r.info, [this.statsKey]: stats };
      push(this.returnQueue, stats.r, this.bufferLength);
      push(this.lengthQueue, stats.l, this.bufferLength);
      push(this.timeQueue, stats.t, this.bufferLength);
      this.episodeCount++;
      this.episodeStart = performance.now();
    }
    return r;
  }
}

function push(q: number[], v: number, max: number): void {
  q.push(v);
  if (q.length > max) q.shift();
}
