/**
 * A terminal progress bar for long work: percentage, count, rate, ETA and live metrics
 * (e.g. loss). On a TTY it redraws one line; elsewhere (CI logs, pipes) it prints a line at
 * every 10% so logs stay short.
 */
export interface ProgressOptions {
  total: number;
  label?: string;
  /** Defaults to process.stderr, so --json output on stdout stays clean. */
  stream?: NodeJS.WriteStream;
  /** Units for the rate display, e.g. 'steps' or 'it'. */
  unit?: string;
  width?: number;
}

export class ProgressBar {
  private current = 0;
  private readonly start = performance.now();
  private lastDraw = 0;
  private lastDecile = -1;
  private metrics: Record<string, number | string> = {};
  private readonly stream: NodeJS.WriteStream;
  private done = false;

  constructor(private readonly options: ProgressOptions) {
    this.stream = options.stream ?? process.stderr;
  }

  /** Advance by n and update the shown metrics. */
  tick(n = 1, metrics?: Record<string, number | string>): void {
    this.current = Math.min(this.options.total, this.current + n);
    if (metrics) this.metrics = { ...this.metrics, ...metrics };
    this.draw(false);
  }

  /** Jump to an absolute position. */
  update(current: number, metrics?: Record<string, number | string>): void {
    this.current = Math.min(this.options.total, current);
    if (metrics) this.metrics = { ...this.metrics, ...metrics };
    this.draw(false);
  }

  finish(metrics?: Record<string, number | string>): void {
    if (this.done) return;
    this.done = true;
    if (metrics) this.metrics = { ...this.metrics, ...metrics };
    // Off a TTY the last tick may already have printed the 100% line.
    if (this.stream.isTTY !== true && this.lastDecile === 10 && !metrics) return;
    this.current = this.options.total;
    this.draw(true);
  }

  private draw(final: boolean): void {
    const now = performance.now();
    const tty = this.stream.isTTY === true;
    const fraction = this.options.total > 0 ? this.current / this.options.total : 1;
    if (tty) {
      if (!final && now - this.lastDraw < 80) return;
    } else {
      const decile = Math.floor(fraction * 10);
      if (!final && decile === this.lastDecile) return;
      this.lastDecile = decile;
    }
    this.lastDraw = now;
    const line = this.render(fraction, (now - this.start) / 1000);
    if (tty) this.stream.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
    else this.stream.write(`${line}\n`);
  }

  render(fraction: number, elapsedS: number): string {
    const width = this.options.width ?? 24;
    const filled = Math.round(fraction * width);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    const rate = elapsedS > 0 ? this.current / elapsedS : 0;
    const eta = rate > 0 ? (this.options.total - this.current) / rate : 0;
    const metrics = Object.entries(this.metrics)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`)
      .join(' ');
    const label = this.options.label ? `${this.options.label} ` : '';
    return (
      `${label}${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${this.current}/${this.options.total}` +
      ` ${formatNumber(rate)} ${this.options.unit ?? 'it'}/s eta ${formatDuration(eta)}` +
      (metrics ? ` ${metrics}` : '')
    );
  }
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toFixed(4);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds.toFixed(0)}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m${Math.round(seconds % 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}
