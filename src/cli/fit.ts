import type { Command } from 'commander';
import { resolve } from 'node:path';
import { contextOf, positiveInt } from './context.js';
import { UsageError } from '../util/errors.js';
import { writeManifest } from '../util/manifest.js';
import { readObservations, saveFitResult, saveSynthProblem } from '../fit/files.js';
import { fitSequence } from '../fit/fit-sequence.js';
import { synthFitProblem } from '../fit/synth-problem.js';
import { benchFit } from '../fit/bench.js';
import type { LossName } from '../fit/loss.js';
import { registerSynthFacescape } from './synth-facescape.js';

export function registerFit(program: Command): void {
  program
    .command('fit')
    .description('fit FLAME and the cameras to dense 2D alignments over all frames and views (OBS.npz: mu [T,C,V,2], sigma [T,C,V], image_size [C,2], optional K, Rt, mica_template, fps)')
    .argument('<obs>', 'observations .npz')
    .option('--out <dir>', 'output folder', 'out/fit')
    .option('--loss <loss>', 'robust loss on E_A: l2, huber or geman-mcclure', 'huber')
    .option('--loss-scale <sigmas>', 'robust loss scale in units of sigma', '2')
    .option('--refine-cameras', 'refine the given K and Rt (default: hold them)')
    .option('--mode <mode>', 'sequential, joint or both (sequential then joint)', 'both')
    .option('--solver <solver>', 'lm, or adamw (the paper\'s optimiser) for the joint stage', 'lm')
    .option('--temporal <weight>', 'E_temp weight (1/m²; 0 disables)')
    .option('--hessian-vertices <n>', 'vertex subset for the Hessian (exact with ≥ V)')
    .action(async (obsPath: string, opts: { out: string; loss: string; lossScale: string; refineCameras?: boolean; mode: string; solver: string; temporal?: string; hessianVertices?: string }, command: Command) => {
      const ctx = contextOf(command);
      if (!['sequential', 'joint', 'both'].includes(opts.mode)) throw new UsageError(`--mode must be sequential, joint or both, got '${opts.mode}'`);
      if (!['lm', 'adamw'].includes(opts.solver)) throw new UsageError(`--solver must be lm or adamw, got '${opts.solver}'`);
      const model = await ctx.loadModel();
      const data = readObservations(obsPath);
      ctx.logger.info(`fit: ${data.obs.frames} frames × ${data.obs.cameras} views × ${data.obs.vertices} vertices, cameras ${data.K ? 'given' : 'unknown'}`);
      const result = await fitSequence(model, data, {
        loss: opts.loss as LossName, lossScale: Number(opts.lossScale), refineCameras: Boolean(opts.refineCameras),
        mode: opts.mode as 'sequential' | 'joint' | 'both', solver: opts.solver as 'lm' | 'adamw', logger: ctx.logger,
        ...(opts.temporal !== undefined ? { weights: { temporal: Number(opts.temporal) } } : {}),
        ...(opts.hessianVertices ? { hessianVertices: positiveInt('--hessian-vertices')(opts.hessianVertices) } : {}),
      });
      const out = resolve(opts.out);
      const files = await saveFitResult(out, result, { model: model.source, observations: obsPath, fps: data.fps ?? null });
      await writeManifest(out, { command: 'fit', inputs: [obsPath], parameters: { model: model.source, ...opts }, outputs: files });
      ctx.result({ out, ...result.summary }, `fit written to ${out}: ${files.join(', ')} (${result.summary.seconds.toFixed(1)} s)`);
    });
}

export function registerSynth(program: Command): void {
  const synth = program.command('synth').description('synthetic data with known truth');
  registerSynthFacescape(synth);
  synth
    .command('fit-problem')
    .description('a fitting problem on the built-in model: random identity, talking/blinking/turning sequence, MEAD-like cameras; OUT.npz and OUT.truth.npz')
    .argument('<out>', 'output .npz')
    .requiredOption('--frames <n>', 'frames', positiveInt('--frames'))
    .requiredOption('--views <n>', 'views (1–7: front, left_30, right_30, down, top, left_60, right_60)', positiveInt('--views'))
    .option('--noise <px>', 'Gaussian noise in pixels (and sigma)', '1')
    .option('--outliers <fraction>', 'fraction of observations displaced by 20–100 px', '0')
    .option('--with-cameras', 'also store the true K and Rt in OUT.npz (cameras known)')
    .action(async (out: string, opts: { frames: number; views: number; noise: string; outliers: string; withCameras?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      if (opts.views > 7) throw new UsageError(`--views must be at most 7, got ${opts.views}`);
      const model = await ctx.loadModel();
      const p = await synthFitProblem(model, { frames: opts.frames, views: opts.views, noise: Number(opts.noise), outliers: Number(opts.outliers), seed: ctx.seed });
      const files = await saveSynthProblem(out, p, { withCameras: Boolean(opts.withCameras) });
      ctx.result({ ...files, frames: opts.frames, views: p.viewNames }, `wrote ${files.obs} and ${files.truth} (${opts.frames} frames, views ${p.viewNames.join(', ')})`);
    });
}

export function registerBenchFit(bench: Command): void {
  bench
    .command('fit')
    .description('standard fitting problem (built-in model, 4 views, 120 frames, 1 px noise, unknown cameras): LM schedule and AdamW baseline, one JSON line')
    .option('--frames <n>', 'frames', '120')
    .option('--views <n>', 'views', '4')
    .option('--no-adamw', 'skip the AdamW baseline')
    .action(async (opts: { frames: string; views: string; adamw: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const model = await ctx.loadModel();
      const r = await benchFit(model, { frames: Number(opts.frames), views: Number(opts.views), seed: ctx.seed, adamw: opts.adamw, logger: ctx.logger });
      process.stdout.write(JSON.stringify(r) + '\n');
    });
}
