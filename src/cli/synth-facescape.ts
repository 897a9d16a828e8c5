import type { Command } from 'commander';
import { contextOf, positiveInt } from './context.js';
import { UsageError } from '../util/errors.js';
import { synthFacescape, SYNTH_FACESCAPE_DEFAULTS, VARIANTS, type VariantName } from '../synth/facescape.js';

function nonNegativeNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a number >= 0, got '${value}'`);
    return n;
  };
}

function parseVariants(value: string): VariantName[] {
  if (value === 'none' || value === '') return [];
  if (value === 'all') return [...VARIANTS];
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const v of list) if (!(VARIANTS as readonly string[]).includes(v)) throw new UsageError(`--variants: unknown variant '${v}', expected all, none or a list of ${VARIANTS.join(', ')}`);
  return list as VariantName[];
}

/** Adds `synth facescape` to the `synth` command. */
export function registerSynthFacescape(synth: Command): void {
  const d = SYNTH_FACESCAPE_DEFAULTS;
  synth
    .command('facescape')
    .description('a FaceScape-layout dataset with known truth from the built-in model: scans (OBJ, mm, ~100k vertices, noise, holes, hair cap, shoulders) with textures, multi-view photos with params.json, neutral .pp landmarks, truth in OUT/_truth/{id}/{k}_{expression}.npz')
    .argument('<out>', 'output folder')
    .requiredOption('--subjects <n>', 'subjects (ids 1..N)', positiveInt('--subjects'))
    .requiredOption('--expressions <k>', 'expressions besides 1_neutral: the first K (0–19) of 2_smile … 20_brow_lower', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 19) throw new UsageError(`--expressions must be an integer 0–19, got '${v}'`);
      return n;
    })
    .option('--expression-list <names>', 'comma-separated FaceScape expression names instead of the first K (e.g. 3_mouth_stretch,18_eye_closed)')
    .option('--size <px>', 'photo side', positiveInt('--size'), d.size)
    .option('--views <n>', 'views per scan, 1–16 (view 0 frontal; one other marked invalid)', positiveInt('--views'), d.views)
    .option('--scan-vertices <n>', 'about how many vertices per scan', positiveInt('--scan-vertices'), d.scanVertices)
    .option('--texture-size <px>', 'texture side', positiveInt('--texture-size'), d.textureSize)
    .option('--noise <mm>', 'scan noise along the normals, sigma in mm', nonNegativeNumber('--noise'), d.noiseMm)
    .option('--landmark-noise <mm>', 'neutral landmark click noise, sigma per axis in mm', nonNegativeNumber('--landmark-noise'), d.landmarkNoiseMm)
    .option('--no-holes', 'no holes in the scans')
    .option('--no-hair', 'no hair cap')
    .option('--no-torso', 'no shoulders and torso')
    .option('--variants <list>', `robustness datasets under OUT/robustness/{variant}/ (one subject each): all, none, or a list of ${VARIANTS.join(', ')}`, 'none')
    .action(async (out: string, opts: { subjects: number; expressions: number; expressionList?: string; size: number; views: number; scanVertices: number; textureSize: number; noise: number; landmarkNoise: number; holes: boolean; hair: boolean; torso: boolean; variants: string }, command: Command) => {
      const ctx = contextOf(command);
      if (ctx.options.model !== 'builtin') throw new UsageError(`synth facescape builds on the built-in model; --model '${ctx.options.model}' is not supported`);
      const res = await synthFacescape({
        out, subjects: opts.subjects, expressions: opts.expressions, seed: ctx.seed, size: opts.size, views: opts.views,
        scanVertices: opts.scanVertices, textureSize: opts.textureSize, noiseMm: opts.noise, landmarkNoiseMm: opts.landmarkNoise,
        holes: opts.holes, hair: opts.hair, torso: opts.torso, variants: parseVariants(opts.variants), logger: ctx.logger,
        ...(opts.expressionList ? { expressionNames: opts.expressionList.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
      });
      ctx.result(res, [
        `synth facescape: ${res.scans} scans of ${res.subjects.length} subjects (${res.expressions.join(', ')}) in ${res.out} (${res.seconds.toFixed(1)} s)`,
        `  scan vertices: ${res.scanVertices[0]}–${res.scanVertices[1]}`,
        ...Object.entries(res.variants).map(([k, v]) => `  variant ${k}: ${v}`),
      ].join('\n'));
    });
}
