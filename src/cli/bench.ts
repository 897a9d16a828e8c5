import type { Command } from 'commander';
import { contextOf } from './context.js';
import { benchFlame } from '../flame/bench.js';
import { registerBenchFit } from './fit.js';

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('standard benchmarks; each prints one JSON line with its figures');
  registerBenchFit(bench);
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
  bench
    .command('register')
    .description('scan registration on a synthetic FaceScape dataset with known truth: seconds per scan (registration only, worker threads over subjects) and face-region vertex error against the truth')
    .option('--subjects <n>', 'subjects', '2')
    .option('--expressions <n>', 'expression scans per subject', '2')
    .option('--workers <n>', 'worker threads', '2')
    .option('--scan-vertices <n>', 'scan size (default about 100 000)')
    .option('--keep <dir>', 'keep the dataset and registrations in this folder')
    .action(async (opts: { subjects: string; expressions: string; workers: string; scanVertices?: string; keep?: string }, command: Command) => {
      const ctx = contextOf(command);
      const { benchRegister } = await import('../registration/bench.js');
      const r = await benchRegister(await ctx.loadModel(), {
        seed: ctx.seed, subjects: Math.max(1, Number(opts.subjects) || 2), expressions: Math.max(0, Number(opts.expressions) || 0), workers: Math.max(0, Number(opts.workers) || 0),
        ...(opts.scanVertices ? { scanVertices: Number(opts.scanVertices) } : {}), ...(opts.keep ? { keep: opts.keep } : {}), logger: ctx.logger,
      });
      process.stdout.write(JSON.stringify(r) + '\n');
    });
  bench
    .command('render')
    .description('synthetic views of the built-in model: whole pipeline (labels, default augmentation, files written) on all workers, and rasterise+shade alone on one thread, in samples/s')
    .option('--workers <n>', 'worker threads (default: all cores)')
    .option('--heads <n>', 'heads rendered by the pipeline run', '30')
    .option('--views <n>', 'views per head', '8')
    .option('--augment <config>', "augmentation: 'default', 'none' or a JSON config", 'default')
    .action(async (opts: { workers?: string; heads: string; views: string; augment: string }, command: Command) => {
      const ctx = contextOf(command);
      const { benchRender } = await import('../pipeline/render-dataset.js');
      const r = await benchRender(await ctx.loadModel(), { seed: ctx.seed, augment: opts.augment, heads: Math.max(1, Number(opts.heads) || 30), views: Math.max(1, Number(opts.views) || 8), ...(opts.workers ? { workers: Math.max(0, Number(opts.workers) || 0) } : {}) });
      process.stdout.write(JSON.stringify(r) + '\n');
    });
}
