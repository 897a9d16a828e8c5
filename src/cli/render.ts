import type { Command } from 'commander';
import { resolve } from 'node:path';
import { contextOf, positiveInt } from './context.js';
import { ItemsFailedError, UsageError } from '../util/errors.js';
import { parseMaps, renderDataset } from '../pipeline/render-dataset.js';
import type { Units } from '../render/runner.js';

function nonNegativeInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be an integer >= 0, got '${value}'`);
    return n;
  };
}

export function registerRender(program: Command): void {
  program
    .command('render')
    .description('synthetic training views with exact labels (mu, visible, UV flow, K, Rt, ...) of a mesh, a scan with its registration, a folder of registrations, or builtin:N random heads')
    .argument('<input>', "a mesh (.obj/.ply, optionally textured), a folder of FLAME-topology registrations, or 'builtin:N'")
    .requiredOption('--out <dir>', 'output folder')
    .option('--views <n>', 'views per source', positiveInt('--views'), 1)
    .option('--registration <mesh>', "FLAME-topology registration of the INPUT scan: the scan is rendered, the labels come from the registration")
    .option('--size <px>', 'image side D_img', positiveInt('--size'), 512)
    .option('--uv-size <px>', 'UV map side D_uv', positiveInt('--uv-size'), 64)
    .option('--maps <list>', 'extra per-pixel maps in the labels: depth,mask,uv,normal,triangle', '')
    .option('--augment <config>', "augmentation: a JSON config, 'default' or 'none'", 'none')
    .option('--workers <n>', 'worker threads (0: render in the main thread)', nonNegativeInt('--workers'))
    .option('--format <format>', 'image format: png or jpeg', 'png')
    .option('--units <units>', 'units of mesh inputs: auto, m, cm or mm', 'auto')
    .option('--preview <n>', 'samples shown in preview.html', nonNegativeInt('--preview'), 48)
    .action(async (input: string, opts: { out: string; views: number; registration?: string; size: number; uvSize: number; maps: string; augment: string; workers?: number; format: string; units: string; preview: number }, command: Command) => {
      const ctx = contextOf(command);
      if (opts.format !== 'png' && opts.format !== 'jpeg') throw new UsageError(`--format must be png or jpeg, got '${opts.format}'`);
      if (!['auto', 'm', 'cm', 'mm'].includes(opts.units)) throw new UsageError(`--units must be auto, m, cm or mm, got '${opts.units}'`);
      const model = await ctx.loadModel();
      const res = await renderDataset({
        input, outDir: resolve(opts.out), model, views: opts.views, size: opts.size, uvSize: opts.uvSize, maps: parseMaps(opts.maps),
        augment: opts.augment, seed: ctx.seed, format: opts.format, units: opts.units as Units, preview: opts.preview, logger: ctx.logger,
        ...(opts.registration !== undefined ? { registration: opts.registration } : {}),
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      });
      ctx.result(res, [
        `render: ${res.written} of ${res.samples} samples in ${res.outDir} (${res.seconds.toFixed(1)} s)`,
        `  index:   ${res.index}`,
        `  preview: ${res.preview}`,
        ...(res.failed.length ? [`  failed:  ${res.failed.length} (see ${res.report})`] : []),
      ].join('\n'));
      if (res.failed.length) throw new ItemsFailedError(`render: ${res.failed.length} of ${res.samples} samples failed (see ${res.report})`, res.failed.length);
    });
}
