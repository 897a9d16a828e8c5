import type { Command } from 'commander';
import { contextOf } from './context.js';
import { benchFlame } from '../flame/bench.js';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('standard benchmarks; each prints one JSON line with its figures');
  bench
    .command('flame')
    .description('FLAME evaluation at the model size: full (new identity) and incremental (new expression and pose) times in ms')
    .option('--runs <n>', 'timed repetitions', '200')
    .action(async (opts: { runs: string }, command: Command) => {
      const ctx = contextOf(command);
      const model = await ctx.loadModel();
      const r = await benchFlame(model, ctx.seed, Math.max(10, Number(opts.runs) || 200));
      process.stdout.write(JSON.stringify(r) + '\n');
    });
}
