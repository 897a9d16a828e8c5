/**
 * Logging for humans and machines. Messages go to stderr; a command's result goes to stdout.
 * In JSON mode every message is one JSON line `{"level":..,"msg":..,...fields}`; in quiet mode
 * only warnings and errors are shown.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  /** Where lines go; defaults to process.stderr. */
  sink?: (line: string) => void;
}

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export class Logger {
  readonly json: boolean;
  readonly quiet: boolean;
  private readonly minLevel: number;
  private readonly sink: (line: string) => void;

  constructor(options: LoggerOptions = {}) {
    this.json = options.json ?? false;
    this.quiet = options.quiet ?? false;
    this.minLevel = options.quiet ? ORDER.warn : options.verbose ? ORDER.debug : ORDER.info;
    this.sink = options.sink ?? ((line) => process.stderr.write(line + '\n'));
  }

  log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
    if (ORDER[level] < this.minLevel) return;
    if (this.json) {
      this.sink(JSON.stringify({ level, msg, ...fields }));
    } else {
      const prefix = level === 'info' ? '' : level === 'debug' ? 'debug: ' : `${level}: `;
      const extra = Object.keys(fields).length ? ' ' + Object.entries(fields).map(([k, v]) => `${k}=${formatField(v)}`).join(' ') : '';
      this.sink(prefix + msg + extra);
    }
  }

  debug(msg: string, fields?: Record<string, unknown>): void { this.log('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.log('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.log('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.log('error', msg, fields); }

  /** Emits a structured event (JSON mode only; humans see progress bars instead). */
  event(name: string, fields: Record<string, unknown>): void {
    if (this.json) this.sink(JSON.stringify({ event: name, ...fields }));
  }
}

function formatField(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** A logger that drops everything (library default). */
export const silentLogger = new Logger({ quiet: true, sink: () => {} });
