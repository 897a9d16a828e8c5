import type { Command } from 'commander';
import { resolve } from 'node:path';
import { contextOf } from './context.js';
import { ItemsFailedError, UsageError } from '../util/errors.js';
import { registerDataset } from '../registration/dataset.js';
import { registerScanFile } from '../registration/single.js';
import { loadRegistrationModel } from '../registration/registration-model.js';
import type { RegisterScanOptions } from '../registration/register-scan.js';

interface FitFlags { nonrigid: boolean; shapeComponents?: number; exprComponents?: number; landmarkSigma?: number }

function count(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be an integer >= 0, got '${v}'`);
    return n;
  };
}

function positive(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!(n > 0)) throw new UsageError(`${name} must be a number > 0, got '${v}'`);
    return n;
  };
}

function registrationOptions(f: FitFlags): Omit<RegisterScanOptions, 'logger' | 'shape'> {
  return {
    ...(f.nonrigid ? {} : { nonrigid: false as const }),
    ...(f.shapeComponents !== undefined ? { shapeComponents: f.shapeComponents } : {}),
    ...(f.exprComponents !== undefined ? { exprComponents: f.exprComponents } : {}),
    ...(f.landmarkSigma !== undefined ? { weights: { landmarkSigma: f.landmarkSigma } } : {}),
  };
}

function fitOptions(c: Command): Command {
  return c
    .option('--model <model>', "the model: 'builtin', a FLAME .pkl, an exported .npz, or a bare template mesh (.obj/.ply) with --embedding")
    .option('--embedding <file>', 'landmark embedding of the model (required with a template mesh; e.g. flame_static_embedding.pkl)')
    .option('--masks <file>', 'region masks of the model (FLAME_masks.pkl)')
    .option('--shape-components <n>', 'identity components fitted (default 100)', count('--shape-components'))
    .option('--expr-components <n>', 'expression components fitted (default 50)', count('--expr-components'))
    .option('--landmark-sigma <mm>', 'landmark noise σ in mm (default 2)', positive('--landmark-sigma'))
    .option('--no-nonrigid', 'skip the non-rigid refinement (per-vertex offsets)');
}

export function registerRegister(program: Command): void {
  const register = fitOptions(program
    .command('register')
    .description('fit the model to every neutral and expression scan of a FaceScape-layout dataset (neutral: manual landmarks; expressions: landmarks carried by optical flow); or one scan with `register scan`')
    .argument('[dataset]', 'FaceScape-layout folder: {id}/models_reg/{k}_{expression}.obj, {id}/{k}_{expression}/{view}.jpg + params.json')
    .option('--out <dir>', 'output folder (default DATASET/registrations)')
    .option('--landmarks <dir>', 'folder of landmark files ({id}/{k}_{expression}.pp|json|npy); default beside the scans')
    .option('--workers <n>', 'worker threads over subjects (0: this thread; default 2)', count('--workers'))
    .option('--subjects <ids>', 'only these subjects (comma-separated)')
    .option('--expressions <names>', 'only these expressions besides the neutral (comma-separated, e.g. 2_smile,3_mouth_stretch)')
    .option('--flow-model <onnx>', 'RAFT-style ONNX optical-flow model (default: the classical method)')
    .option('--min-landmarks <fraction>', "an expression scan needs this fraction of the neutral's landmarks carried reliably, else it goes to review.json (default 0.5)", positive('--min-landmarks')))
    .action(async (dataset: string | undefined, opts: FitFlags & { out?: string; landmarks?: string; workers?: number; subjects?: string; expressions?: string; flowModel?: string; minLandmarks?: number; model?: string; embedding?: string; masks?: string }, command: Command) => {
      if (!dataset) throw new UsageError('register: give a DATASET folder, or use `register scan SCAN --landmarks L`');
      const ctx = contextOf(command);
      const model = await loadRegistrationModel(opts.model ?? ctx.options.model, { ...(opts.embedding ? { embedding: opts.embedding } : {}), ...(opts.masks ? { masks: opts.masks } : {}), logger: ctx.logger });
      const res = await registerDataset({
        dataset, out: resolve(opts.out ?? resolve(dataset, 'registrations')), model, logger: ctx.logger,
        registration: registrationOptions(opts),
        ...(opts.landmarks ? { landmarksDir: opts.landmarks } : {}),
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
        ...(opts.subjects ? { subjects: opts.subjects.split(',').map((s) => s.trim()) } : {}),
        ...(opts.expressions ? { expressions: opts.expressions.split(',').map((s) => s.trim()) } : {}),
        ...(opts.flowModel ? { flowModel: opts.flowModel } : {}),
        ...(opts.minLandmarks !== undefined ? { minLandmarkFraction: opts.minLandmarks } : {}),
      });
      const t = res.totals;
      ctx.result({ out: res.out, totals: t, seconds: res.seconds, summary: res.summary, review: res.review, report: res.report }, [
        `register: ${t.ok} of ${t.scans} scans registered in ${res.out} (${res.seconds.toFixed(1)} s)${t.failed ? `, ${t.failed} failed` : ''}${t.review ? `, ${t.review} for review` : ''}${t.skipped ? `, ${t.skipped} skipped` : ''}`,
        `  summary: ${res.summary}`,
        `  review:  ${res.review}`,
        `  report:  ${res.report}`,
      ].join('\n'));
      if (t.failed) throw new ItemsFailedError(`register: ${t.failed} of ${t.scans} scans failed (reasons in ${res.summary})`, t.failed);
    });

  fitOptions(register
    .command('scan')
    .description('register one scan to its landmarks; outputs directly in OUT')
    .argument('<scan>', 'the scan (.obj or .ply, any unit: detected and reported)')
    .option('--landmarks <file>', '(required) its landmarks: MeshLab .pp, .json or .npy, in the order or with the names of the model\'s embedding')
    .option('--out <dir>', 'output folder (default ./registration)')
    .option('--truth <npz>', 'truth vertices (npz with `vertices` [V,3] in the scan frame) to report the vertex error against'))
    .action(async (scan: string, own: FitFlags & { landmarks?: string; out?: string; truth?: string; model?: string; embedding?: string; masks?: string }, command: Command) => {
      const ctx = contextOf(command);
      // `register` has options of the same names and takes them wherever they stand on the
      // command line: the ones given explicitly there count for `scan` too
      const parent = command.parent!;
      const given = Object.fromEntries(Object.entries(parent.opts()).filter(([k]) => parent.getOptionValueSource(k) === 'cli'));
      const opts = { ...own, ...given } as typeof own;
      if (!opts.landmarks) throw new UsageError('register scan: --landmarks <file> is required');
      opts.out ??= 'registration';
      const model = await loadRegistrationModel(opts.model ?? ctx.options.model, { ...(opts.embedding ? { embedding: opts.embedding } : {}), ...(opts.masks ? { masks: opts.masks } : {}), logger: ctx.logger });
      const res = await registerScanFile({ scan, landmarks: opts.landmarks, model, out: opts.out!, logger: ctx.logger, registration: registrationOptions(opts), ...(opts.truth ? { truth: opts.truth } : {}) });
      const r = res.record;
      ctx.result(r, r.status === 'ok'
        ? [
          `register scan: ${scan} → ${resolve(opts.out!)} (${r.seconds.toFixed(1)} s; unit ${r.unit}, scale ${r.scale})`,
          `  scan-to-mesh on the face: median ${r.scanToMeshMm!.median.toFixed(3)} mm, mean ${r.scanToMeshMm!.mean.toFixed(3)} mm, p95 ${r.scanToMeshMm!.p95.toFixed(3)} mm`,
          `  landmark error: median ${r.landmarkErrorMm!.median.toFixed(2)} mm`,
          ...(r.truthErrorMm ? [`  vertex error against the truth (face): median ${r.truthErrorMm.median.toFixed(3)} mm, p95 ${r.truthErrorMm.p95.toFixed(3)} mm`] : []),
          `  report: ${res.report}`,
        ].join('\n')
        : `register scan: ${scan} failed: ${r.reason}`);
      if (r.status === 'failed') throw new ItemsFailedError(`register scan: ${r.reason}`, 1);
    });
}
