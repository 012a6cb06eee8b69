/**
 * Progress of a run's jobs. On a terminal: one line per running job plus a totals line, redrawn
 * in place. Elsewhere (CI logs, pipes, tests): a line when a job starts, at each quarter of its
 * steps and when it ends, so logs stay short.
 */
import { formatDuration, formatNumber } from '../util/progress.js';

interface JobState {
  key: string;
  step: number;
  total: number;
  lastReturn?: number;
  quarter: number;
  started: number;
}

export class ProgressBoard {
  private readonly active = new Map<string, JobState>();
  private done = 0;
  private failed = 0;
  private started = 0;
  private drawn = 0;
  private lastDraw = 0;
  private readonly t0 = performance.now();

  constructor(
    private readonly write: (s: string) => void,
    private readonly totalJobs: number,
    private readonly tty: boolean,
  ) {}

  start(key: string, total: number): void {
    this.active.set(key, { key, step: 0, total, quarter: 0, started: performance.now() });
    this.started++;
    if (!this.tty) this.write(`[${this.started}/${this.totalJobs}] ${key}: started\n`);
    this.draw(true);
  }

  update(key: string, step: number, total: number, episodicReturn?: number): void {
    const s = this.active.get(key);
    if (!s) return;
    s.step = step;
    s.total = total;
    if (episodicReturn !== undefined) s.lastReturn = episodicReturn;
    if (!this.tty) {
      const q = total > 0 ? Math.floor((4 * step) / total) : 0;
      if (q > s.quarter && q < 4) {
        s.quarter = q;
        this.write(`  ${key}: ${this.describe(s)}\n`);
      }
    }
    this.draw(false);
  }

  finish(key: string, ok: boolean, note = ''): void {
    const s = this.active.get(key);
    this.active.delete(key);
    if (ok) this.done++;
    else this.failed++;
    const secs = s ? (performance.now() - s.started) / 1000 : 0;
    const line = `${ok ? 'done' : 'FAILED'} ${key} in ${formatDuration(secs)}${note ? `: ${note}` : ''}`;
    if (this.tty) {
      this.clear();
      this.write(`${line}\n`);
      this.draw(true);
    } else this.write(`[${this.done + this.failed}/${this.totalJobs}] ${line}\n`);
  }

  close(): void {
    if (this.tty) this.clear();
  }

  private describe(s: JobState): string {
    const f = s.total > 0 ? Math.min(1, s.step / s.total) : 0;
    const width = 20;
    const filled = Math.round(f * width);
    const ret = s.lastReturn === undefined ? '' : ` return ${formatNumber(s.lastReturn)}`;
    return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${(f * 100).toFixed(0).padStart(3)}% ${s.step}/${s.total}${ret}`;
  }

  private clear(): void {
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.clear();
    const lines = [...this.active.values()].map((s) => `  ${s.key.padEnd(28)} ${this.describe(s)}`);
    const elapsed = formatDuration((now - this.t0) / 1000);
    lines.push(
      `jobs ${this.done}/${this.totalJobs} done${this.failed ? `, ${this.failed} failed` : ''}, ${this.active.size} running, ${elapsed}`,
    );
    this.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
