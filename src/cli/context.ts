/** What every command gets from the global options: a logger, the seed, the model loader. */
import type { Command } from 'commander';
import { Logger } from '../util/log.js';
import { UsageError } from '../util/errors.js';
import { loadModel } from '../flame/load.js';
import type { FlameModel } from '../flame/model.js';

export interface GlobalOptions {
  model: string;
  seed: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

export interface Context {
  options: GlobalOptions;
  logger: Logger;
  seed: number | string;
  json: boolean;
  loadModel(spec?: string): Promise<FlameModel>;
  /** Prints a command's result: JSON (one line) in --json mode, else the human text. */
  result(value: unknown, human?: string): void;
}

export function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const logger = new Logger({ json: options.json, quiet: options.quiet, verbose: options.verbose });
  const seed = /^-?\d+$/.test(options.seed) ? Number(options.seed) : options.seed;
  return {
    options,
    logger,
    seed,
    json: Boolean(options.json),
    async loadModel(spec = options.model) {
      const t = performance.now();
      const model = await loadModel(spec, { logger });
      logger.debug(`model ${model.source}: ${model.numVertices} vertices, ${model.numShape}+${model.numExpr} components`, { ms: Math.round(performance.now() - t) });
      return model;
    },
    result(value, human) {
      if (options.json || human === undefined) process.stdout.write(JSON.stringify(value) + '\n');
      else process.stdout.write(human + (human.endsWith('\n') ? '' : '\n'));
    },
  };
}

/** Parses a positive integer option. */
export function positiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got '${value}'`);
    return n;
  };
}
