/**
 * `workbench render`: synthetic training views with exact ground truth.
 *
 * INPUT → sources (a mesh, optionally a textured scan with its `--registration`; a folder of
 * FLAME-topology registrations; or `builtin:N`, N random heads of the built-in model) → `views`
 * samples per source, rendered, labelled, augmented and written in parallel (render/runner.ts,
 * render/pool.ts) → `index.jsonl` (one line per sample, in sample order), `preview.html`,
 * `report.json` (counts and the quarantined failures) and `manifest.json`.
 *
 * The outputs depend on the inputs, the options and the seed only: byte-identical for any worker count.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UsageError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { silentLogger, type Logger } from '../util/log.js';
import { writeManifest } from '../util/manifest.js';
import { Progress } from '../util/progress.js';
import type { FlameModel } from '../flame/model.js';
import { FlameEvaluator } from '../flame/lbs.js';
import type { ImageFormat } from '../io/image.js';
import { headAlbedo } from '../render/albedo.js';
import { MAP_NAMES, renderView, type MapName } from '../render/render-view.js';
import { labelTopology, renderSample } from '../render/render-sample.js';
import { writeSampleFiles } from '../render/sample-io.js';
import { previewHtml } from '../render/preview.js';
import { runInWorkers } from '../render/pool.js';
import { loadAugmentation, RenderRunner, sampleCount, sampleId, type RenderPlan, type SampleRecord, type SourceSpec, type Units } from '../render/runner.js';
import {
  headBounds, sampleHeadParams, sampleLights, sampleMaterial,
  type CameraSampling, type HeadSampling, type LightSampling, type MaterialSampling,
} from '../render/sampling.js';

export interface RenderDatasetOptions {
  /** A mesh (.obj/.ply), a folder of registrations, or 'builtin:N'. */
  input: string;
  /** FLAME-topology registration of the INPUT scan (labels come from it). */
  registration?: string;
  outDir: string;
  /** The head model: built-in heads, and regions/UVs of registrations. */
  model: FlameModel;
  /** Views per source. Default 1. */
  views?: number;
  /** Image side D_img. Default 512. */
  size?: number;
  /** UV map side D_uv. Default 64. */
  uvSize?: number;
  /** Extra per-pixel maps stored in the labels. */
  maps?: MapName[];
  /** 'none' (default), 'default' or an augmentation config file. */
  augment?: string;
  seed?: number | string;
  /** Worker threads; 0 renders in this thread. Default: all cores. */
  workers?: number;
  format?: ImageFormat;
  /** JPEG quality. Default 95. */
  quality?: number;
  /** Units of mesh inputs. Default 'auto' (detected from the size, and reported). */
  units?: Units;
  /** Samples shown in preview.html. Default 48. */
  preview?: number;
  /** Deflate in the label npz files: 'maps' (default: the image-sized arrays), 'all' or 'none'. */
  compress?: 'maps' | 'all' | 'none';
  camera?: CameraSampling;
  lights?: LightSampling;
  material?: MaterialSampling;
  head?: HeadSampling;
  visibilityTolerance?: number;
  logger?: Logger;
}

export interface RenderDatasetResult {
  outDir: string;
  samples: number;
  written: number;
  failed: Array<{ id: string; source: string; error: string }>;
  index: string;
  preview: string;
  report: string;
  manifest: string;
  seconds: number;
}

const MESH_EXTENSIONS = new Set(['.obj', '.ply']);

function meshFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (MESH_EXTENSIONS.has(e.name.slice(e.name.lastIndexOf('.')).toLowerCase())) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The sources INPUT names. */
export function planSources(input: string, registration?: string): SourceSpec[] {
  const builtin = /^builtin:(\d+)$/.exec(input);
  if (builtin) {
    const n = Number(builtin[1]);
    if (!(n >= 1)) throw new UsageError(`render: '${input}' asks for ${n} heads; give builtin:N with N >= 1`);
    if (registration) throw new UsageError('render: --registration goes with a scan mesh, not with builtin:N');
    return Array.from({ length: n }, (_, h) => ({ kind: 'builtin', head: h, name: `builtin:${h}` }));
  }
  if (!existsSync(input)) throw new UsageError(`render: INPUT '${input}' not found (give a mesh, a folder of registrations or builtin:N)`);
  if (statSync(input).isDirectory()) {
    if (registration) throw new UsageError('render: --registration goes with one scan mesh, not with a folder');
    const files = meshFilesUnder(input);
    if (files.length === 0) throw new UsageError(`render: folder '${input}' holds no .obj or .ply files`);
    return files.map((path) => ({ kind: 'mesh', path: resolve(path), name: join(input, relative(input, path)).split('\\').join('/'), requireFlame: true }));
  }
  if (registration !== undefined && !existsSync(registration)) throw new UsageError(`render: registration '${registration}' not found`);
  const spec: SourceSpec = { kind: 'mesh', path: resolve(input), name: input };
  if (registration !== undefined) spec.registration = resolve(registration);
  return [spec];
}

/** Parses `--maps depth,mask,uv,normal,triangle`. */
export function parseMaps(text: string | undefined): MapName[] {
  if (!text) return [];
  const out: MapName[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(MAP_NAMES as readonly string[]).includes(part)) throw new UsageError(`render: unknown map '${part}' in --maps (known: ${MAP_NAMES.join(', ')})`);
    if (!out.includes(part as MapName)) out.push(part as MapName);
  }
  return out;
}

export async function renderDataset(options: RenderDatasetOptions): Promise<RenderDatasetResult> {
  const t0 = performance.now();
  const logger = options.logger ?? silentLogger;
  const outDir = resolve(options.outDir);
  const views = options.views ?? 1, size = options.size ?? 512, uvSize = options.uvSize ?? 64;
  if (!(Number.isInteger(views) && views >= 1)) throw new UsageError(`render: --views must be a positive integer, found ${views}`);
  if (!(Number.isInteger(size) && size >= 8 && size <= 8192)) throw new UsageError(`render: --size must be an integer in [8, 8192], found ${size}`);
  if (!(Number.isInteger(uvSize) && uvSize >= 1 && uvSize <= 4096)) throw new UsageError(`render: --uv-size must be an integer in [1, 4096], found ${uvSize}`);
  const augment = options.augment ?? 'none';
  if (augment !== 'none' && augment !== 'default' && !existsSync(augment)) throw new UsageError(`render: augmentation config '${augment}' not found (give a JSON file, 'default' or 'none')`);
  loadAugmentation(augment); // a bad config fails here, before any work
  const workers = options.workers ?? availableParallelism();
  if (!(Number.isInteger(workers) && workers >= 0)) throw new UsageError(`render: --workers must be an integer >= 0, found ${workers}`);

  const sources = planSources(options.input, options.registration);
  const plan: RenderPlan = {
    outDir, sources, views, seed: options.seed ?? 0, size, uvSize, maps: options.maps ?? [], augment,
    format: options.format ?? 'png', quality: options.quality ?? 95, units: options.units ?? 'auto',
    previewCount: options.preview ?? 48,
  };
  if (options.compress !== undefined) plan.compress = options.compress;
  if (options.camera) plan.camera = options.camera;
  if (options.lights) plan.lights = options.lights;
  if (options.material) plan.material = options.material;
  if (options.head) plan.head = options.head;
  if (options.visibilityTolerance !== undefined) plan.visibilityTolerance = options.visibilityTolerance;
  const total = sampleCount(plan);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  logger.info(`render: ${plural(sources.length, 'source')} × ${plural(views, 'view')} = ${plural(total, 'sample')} of ${size}×${size} into ${outDir}` +
    ` (${workers === 0 ? 'this thread' : plural(Math.min(workers, total), 'worker thread')}, augmentation ${augment})`);

  // render
  const records: Array<SampleRecord | undefined> = new Array(total);
  const failures = new Map<number, string>();
  const progress = new Progress('render', total, { logger });
  const unitsSeen = new Set<string>();
  const onRecord = (r: SampleRecord): void => {
    records[r.index] = r;
    if (r.units && !unitsSeen.has(r.units)) { unitsSeen.add(r.units); logger.info(`render: units ${r.units}`); }
    progress.tick();
  };
  const reported = new Set<string>();
  const onFailure = (index: number, message: string): void => {
    failures.set(index, message);
    const source = sources[Math.floor(index / views)]!.name;
    if (!reported.has(source)) { reported.add(source); logger.warn(`render: skipping ${source}: ${message}`); }
    progress.tick(1, true);
  };
  const indices = Array.from({ length: total }, (_, k) => k);
  if (workers === 0) {
    const runner = await RenderRunner.create(plan, options.model);
    for (const k of indices) {
      try {
        onRecord(await runner.run(k));
      } catch (error) {
        onFailure(k, error instanceof Error ? error.message : String(error));
      }
    }
  } else {
    // runs of consecutive samples (a source's views stay together), small enough to balance the load
    const chunk = Math.max(1, Math.min(views, Math.ceil(total / (4 * workers)), 32));
    await runInWorkers(plan, options.model, indices, { workers, chunk, onRecord, onFailure });
  }
  progress.finish();

  // index, preview, report, manifest
  const written = records.filter((r): r is SampleRecord => r !== undefined);
  const indexLines = written.map((r) => JSON.stringify({ id: r.id, image: r.image, labels: r.labels, source: r.source, view: r.view, seed: r.seed, camera: r.camera }) + '\n').join('');
  await writeFileAtomic(join(outDir, 'index.jsonl'), indexLines);
  const parameters: Record<string, unknown> = {
    input: options.input, ...(options.registration ? { registration: options.registration } : {}), model: options.model.source,
    views, size, uvSize, maps: plan.maps, augment, seed: plan.seed, format: plan.format, units: plan.units,
    ...(plan.camera ? { camera: plan.camera } : {}), ...(plan.lights ? { lights: plan.lights } : {}),
    ...(plan.material ? { material: plan.material } : {}), ...(plan.head ? { head: plan.head } : {}),
    ...(plan.visibilityTolerance !== undefined ? { visibilityTolerance: plan.visibilityTolerance } : {}),
  };
  const items = written.flatMap((r) => (r.preview ? [r.preview] : []));
  await writeFileAtomic(join(outDir, 'preview.html'), previewHtml(items, { title: `workbench render: ${options.input}`, total, parameters }));
  const failed = [...failures.entries()].sort((a, b) => a[0] - b[0]).map(([k, error]) => ({ id: sampleId(k, total), source: sources[Math.floor(k / views)]!.name, error }));
  await writeJsonAtomic(join(outDir, 'report.json'), { samples: total, written: written.length, failed });
  const inputs = sources.flatMap((s) => (s.kind === 'mesh' ? [s.path, ...(s.registration ? [s.registration] : [])] : []));
  if (augment !== 'none' && augment !== 'default') inputs.push(resolve(augment));
  await writeManifest(outDir, {
    command: 'render',
    parameters,
    inputs,
    outputs: [
      ...written.flatMap((r) => [r.image, r.labels, ...(r.preview ? [r.preview.flow] : [])]),
      'index.jsonl', 'preview.html', 'report.json',
    ],
  });
  return {
    outDir, samples: total, written: written.length, failed,
    index: join(outDir, 'index.jsonl'), preview: join(outDir, 'preview.html'), report: join(outDir, 'report.json'), manifest: join(outDir, 'manifest.json'),
    seconds: (performance.now() - t0) / 1000,
  };
}

// ---------------------------------------------------------------------------------------------
// `workbench bench render`

export interface RenderBenchResult {
  bench: 'render';
  /** Whole pipeline (render, labels, augmentation, PNG + npz written), all workers, samples per second of wall time. */
  samples_per_s: number;
  /** renderView alone (rasterise + shade the 512×512 face crop: RGB image and mask), one thread. */
  raster_samples_per_s: number;
  samples: number;
  workers: number;
  size: number;
  augment: string;
  /** CPU time (all threads of the process, sharp's included) per sample of the pipeline run: on a machine of its own, C cores give at most C·1000/cpu_ms_per_sample samples/s. */
  cpu_ms_per_sample: number;
  /** One thread, ms per sample: FLAME evaluation (a new head), render, camera + crop + labels, augmentation, encode + write. */
  stage_ms: { flame: number; render: number; labels: number; augment: number; write: number };
}

export interface RenderBenchOptions {
  workers?: number;
  /** Heads × views rendered by the pipeline run. Defaults 30 × 8. */
  heads?: number;
  views?: number;
  size?: number;
  seed?: number | string;
  /** Augmentation config. Default 'default'. */
  augment?: string;
  logger?: Logger;
}

export async function benchRender(model: FlameModel, options: RenderBenchOptions = {}): Promise<RenderBenchResult> {
  const size = options.size ?? 512, seed = options.seed ?? 0;
  const workers = options.workers ?? availableParallelism();
  const augment = options.augment ?? 'default';
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;

  // one thread, stage by stage
  const rng = new Rng(seed);
  const ev = new FlameEvaluator(model);
  const albedo = headAlbedo(model);
  const topology = labelTopology(model.numVertices, model.faces, 64, { uvs: model.uvs, faceUvs: model.faceUvs, regions: model.regions });
  const aug = loadAugmentation(augment);
  const dir = mkdtempSync(join(tmpdir(), 'wb-bench-render-'));
  const stage = { flame: 0, render: 0, labels: 0, augment: 0, write: 0 };
  const runs = 24, warm = 4;
  try {
    for (let k = 0; k < runs + warm; k++) {
      const t0 = performance.now();
      const p = sampleHeadParams(rng.fork(`head/${k}`), model);
      ev.setIdentity(p.shape);
      const v = Float64Array.from(ev.evaluate(p.expr, p.pose));
      const t1 = performance.now();
      const mesh = { positions: v, faces: model.faces, colors: albedo, ...(model.uvs && model.faceUvs ? { uvs: model.uvs, faceUvs: model.faceUvs } : {}) };
      const { sample } = renderSample({ render: mesh, labels: v, topology, own: true }, rng.fork(k), { size });
      const t2 = performance.now();
      // the render inside renderSample again, alone: same crop camera, fresh lights and material
      const camera = { K: sample.K, Rt: sample.Rt, width: size, height: size };
      renderView(mesh, camera, sampleLights(rng.fork(`lights/${k}`), camera, headBounds(v, topology.boxIndices)), sampleMaterial(rng.fork(`m/${k}`)), { diffuse: 'vertex' });
      const t3 = performance.now();
      const out = aug ? await aug(sample, rng.fork(k).fork('augment')) : sample;
      const t4 = performance.now();
      await writeSampleFiles(dir, sampleId(k, runs + warm), out);
      const t5 = performance.now();
      if (k < warm) continue;
      stage.flame += (t1 - t0) / runs;
      stage.render += (t3 - t2) / runs;
      stage.labels += Math.max(0, (t2 - t1) - (t3 - t2)) / runs; // camera, crop and labels: renderSample minus its render
      stage.augment += (t4 - t3) / runs;
      stage.write += (t5 - t4) / runs;
    }
    const raster = 1000 / stage.render;

    // the pipeline, all workers
    const heads = options.heads ?? 30, views = options.views ?? 8;
    const t = performance.now(), cpu = process.cpuUsage();
    const res = await renderDataset({ input: `builtin:${heads}`, outDir: join(dir, 'dataset'), model, views, size, augment, seed, workers, preview: 0, ...(options.logger ? { logger: options.logger } : {}) });
    const seconds = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      bench: 'render',
      samples_per_s: Math.round((res.written / seconds) * 100) / 100,
      raster_samples_per_s: Math.round(raster * 100) / 100,
      samples: res.written, workers, size, augment,
      cpu_ms_per_sample: r3((used.user + used.system) / 1000 / Math.max(1, res.written)),
      stage_ms: { flame: r3(stage.flame), render: r3(stage.render), labels: r3(stage.labels), augment: r3(stage.augment), write: r3(stage.write) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
