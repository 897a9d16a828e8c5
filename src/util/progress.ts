/**
 * Progress for long work. On a terminal: a redrawn bar on stderr with rate and ETA. In JSON mode:
 * `{"event":"progress",...}` lines at most every `intervalMs`. Otherwise (pipes, CI, quiet):
 * nothing until `finish()`, which logs one summary line.
 */
import type { Logger } from './log.js';

export interface ProgressOptions {
  logger: Logger;
  /** Redraw/emit at most this often. */
  intervalMs?: number;
  /** Force the terminal bar on or off (default: stderr is a TTY and the logger is neither quiet nor JSON). */
  bar?: boolean;
}

export class Progress {
  private doneCount = 0;
  private failedCount = 0;
  private readonly start = Date.now();
  private last = 0;
  private readonly bar: boolean;
  private readonly intervalMs: number;
  private finished = false;

  constructor(readonly label: string, readonly total: number, private readonly options: ProgressOptions) {
    this.intervalMs = options.intervalMs ?? 200;
    this.bar = options.bar ?? (Boolean(process.stderr.isTTY) && !options.logger.json && !options.logger.quiet);
  }

  /** Marks `n` more items done (or failed). */
  tick(n = 1, failed = false): void {
    this.doneCount += n;
    if (failed) this.failedCount += n;
    const now = Date.now();
    if (now - this.last >= this.intervalMs || this.doneCount >= this.total) {
      this.last = now;
      this.render(now);
    }
  }

  get done(): number { return this.doneCount; }

  private render(now: number): void {
    const seconds = (now - this.start) / 1000;
    const rate = seconds > 0 ? this.doneCount / seconds : 0;
    if (this.options.logger.json) {
      this.options.logger.event('progress', { label: this.label, done: this.doneCount, total: this.total, failed: this.failedCount, rate: round(rate) });
    } else if (this.bar) {
      const width = 30;
      const frac = this.total > 0 ? Math.min(1, this.doneCount / this.total) : 1;
      const filled = Math.round(frac * width);
      const eta = rate > 0 ? (this.total - this.doneCount) / rate : NaN;
      const line = `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.doneCount}/${this.total}` +
        ` ${rate.toFixed(1)}/s` + (Number.isFinite(eta) ? ` eta ${eta.toFixed(0)}s` : '') + (this.failedCount ? ` failed ${this.failedCount}` : '');
      process.stderr.write('\r' + line.padEnd(100).slice(0, 100));
    }
  }

  /** Ends the bar and logs a summary line. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.render(Date.now());
    if (this.bar) process.stderr.write('\n');
    const seconds = (Date.now() - this.start) / 1000;
    this.options.logger.info(`${this.label}: ${this.doneCount}/${this.total} done in ${seconds.toFixed(1)} s` + (this.failedCount ? `, ${this.failedCount} failed` : ''));
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
