/**
 * One FaceScape subject: its neutral scan from manual landmarks, then every expression scan with
 * the neutral's identity held and landmarks carried by optical flow (or corrected landmarks, when
 * a file for that scan exists: they win over propagation).
 *
 * Layout read (DESIGN.md): `DATASET/{id}/models_reg/{k}_{expression}.obj` (or .ply), photos
 * `DATASET/{id}/{k}_{expression}/{view}.jpg` with `params.json`. Landmarks: a `.pp`, `.json` or
 * `.npy` named like the scan, beside it or in `--landmarks DIR` (as `DIR/{id}/{name}.pp` or
 * `DIR/{id}_{name}.pp`). Outputs: `OUT/{id}/{k}_{expression}/…` (outputs.ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, basename, extname } from 'node:path';
import type { FlameModel } from '../flame/model.js';
import { writeImage } from '../io/image.js';
import { FormatError, messageOf } from '../util/errors.js';
import { type Logger, silentLogger } from '../util/log.js';
import { readLandmarksForModel, landmarkTargets, type NamedEmbedding } from './landmarks-io.js';
import { loadScanSurface, registerAndWrite, failedRecord, type ScanRecord, type LoadedScan } from './register-files.js';
import { propagateLandmarks, propagationVertices, classicalFlow, type FlowMethod } from './landmark-propagation.js';
import type { RegisterScanOptions, RegistrationResult } from './register-scan.js';
import { loadNpz } from '../io/npz.js';
import { toFloat64, isNdArray } from '../io/ndarray.js';
import { vertexErrors, distanceStats } from './metrics.js';

/**
 * Vertex error against the truth of a synthetic dataset (`DATASET/_truth/{id}/{name}.npz`,
 * `vertices` [V,3] in the scan's frame and units), on the face region, mm; undefined without truth.
 */
export function truthError(model: FlameModel, dataset: string, id: string, name: string, result: RegistrationResult): ScanRecord['truthErrorMm'] {
  const path = join(dataset, '_truth', id, `${name}.npz`);
  if (!existsSync(path)) return undefined;
  const v = loadNpz(path).get('vertices');
  if (!isNdArray(v) || v.data.length !== result.vertices.length) return undefined;
  const e = distanceStats(vertexErrors(result.vertices, toFloat64(v, path), result.unit.unitsPerMetre / 1000, model.regions.face));
  return { median: Number(e.median.toFixed(4)), mean: Number(e.mean.toFixed(4)), p95: Number(e.p95.toFixed(4)) };
}

export interface SubjectJob {
  dataset: string;
  id: string;
  out: string;
  landmarksDir?: string;
  /** Propagated landmarks needed: at least this fraction of the neutral's landmarks (default 0.5) … */
  minLandmarkFraction?: number;
  /** … and at least this many points in all (default 20). */
  minPropagated?: number;
  /** Only these expressions (names like '2_smile'); default all. */
  expressions?: string[];
  registration?: RegisterScanOptions;
}

const SCAN_EXT = ['.obj', '.ply'];
const LANDMARK_EXT = ['.pp', '.json', '.npy'];

/** The scans of a subject: name (e.g. '2_smile') → path, ordered by FaceScape's number. */
export function subjectScans(dataset: string, id: string): Array<{ name: string; path: string }> {
  const dir = join(dataset, id, 'models_reg');
  if (!existsSync(dir)) return [];
  const out: Array<{ name: string; path: string }> = [];
  for (const f of readdirSync(dir).sort()) {
    const ext = extname(f).toLowerCase();
    if (!SCAN_EXT.includes(ext)) continue;
    const name = basename(f, extname(f));
    if (out.some((s) => s.name === name)) continue;
    out.push({ name, path: join(dir, f) });
  }
  const num = (n: string) => { const m = /^(\d+)_/.exec(n); return m ? Number(m[1]) : Infinity; };
  return out.sort((a, b) => num(a.name) - num(b.name) || a.name.localeCompare(b.name));
}

/** The subjects of a dataset: folders with a models_reg folder, in numeric order. */
export function datasetSubjects(dataset: string): string[] {
  if (!existsSync(dataset)) return [];
  const ids = readdirSync(dataset, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('_') && existsSync(join(dataset, d.name, 'models_reg'))).map((d) => d.name);
  return ids.sort((a, b) => (Number(a) - Number(b)) || a.localeCompare(b));
}

/** The landmark file of a scan, if any. */
export function landmarkFile(job: Pick<SubjectJob, 'dataset' | 'landmarksDir'>, id: string, name: string): string | undefined {
  const dirs = job.landmarksDir ? [join(job.landmarksDir, id), job.landmarksDir] : [join(job.dataset, id, 'models_reg')];
  for (const d of dirs) {
    for (const stem of [name, `${id}_${name}`]) {
      for (const ext of LANDMARK_EXT) {
        const p = join(d, stem + ext);
        if (existsSync(p)) return p;
      }
    }
  }
  return undefined;
}

export function isNeutral(name: string): boolean {
  return /(^|_)neutral$/.test(name);
}

export interface SubjectOptions {
  logger?: Logger;
  flow?: FlowMethod;
  /** Called after each scan. */
  onRecord?: (record: ScanRecord) => void;
}

export async function registerSubject(model: FlameModel, job: SubjectJob, options: SubjectOptions = {}): Promise<ScanRecord[]> {
  const log = options.logger ?? silentLogger;
  const flow = options.flow ?? classicalFlow;
  const records: ScanRecord[] = [];
  const emit = (r: ScanRecord) => { records.push(r); options.onRecord?.(r); };
  let scans = subjectScans(job.dataset, job.id);
  const neutralEntry = scans.find((s) => isNeutral(s.name));
  if (job.expressions) scans = scans.filter((s) => s === neutralEntry || job.expressions!.includes(s.name));
  const base = (s: { name: string; path: string }) => ({ id: job.id, expression: s.name, scan: s.path });
  const skipAll = (reason: string, list = scans) => { for (const s of list) emit({ ...base(s), status: 'skipped', reason, seconds: 0 }); };
  if (!neutralEntry) { skipAll(`subject ${job.id} has no neutral scan (models_reg/1_neutral.obj)`); return records; }
  const lmkPath = landmarkFile(job, job.id, neutralEntry.name);
  if (!lmkPath) {
    skipAll(`subject ${job.id}: no landmarks for the neutral scan (looked for ${neutralEntry.name}.pp/.json/.npy ${job.landmarksDir ? `in ${job.landmarksDir}` : 'beside the scan'}); not guessed`);
    return records;
  }
  const outDir = (name: string) => join(job.out, job.id, name);

  // ---- the neutral ----
  let neutral: { result: RegistrationResult; scan: LoadedScan; embedding: NamedEmbedding; index: Uint32Array } | undefined;
  const t0 = performance.now();
  try {
    const { landmarks, embedding } = readLandmarksForModel(lmkPath, model);
    const t = landmarkTargets(landmarks, embedding.embedding);
    const scan = await loadScanSurface(neutralEntry.path);
    const { record, result } = await registerAndWrite(model, scan, { embedding: t, points: t.points }, outDir(neutralEntry.name), job.out, {
      ...base(neutralEntry), landmarks: { source: 'manual', file: lmkPath, count: t.faceIdx.length },
    }, { ...job.registration, logger: log });
    neutral = { result, scan, embedding, index: t.index };
    const truth = truthError(model, job.dataset, job.id, neutralEntry.name, result);
    if (truth) record.truthErrorMm = truth;
    emit(record);
  } catch (error) {
    emit(failedRecord(base(neutralEntry), error, (performance.now() - t0) / 1000));
    skipAll(`the neutral scan of subject ${job.id} failed`, scans.filter((s) => s !== neutralEntry));
    return records;
  }

  // ---- expressions ----
  const carry = propagationVertices(model);
  for (const s of scans) {
    if (s === neutralEntry) continue;
    const t1 = performance.now();
    try {
      const scan = await loadScanSurface(s.path);
      const reg = { ...job.registration, shape: neutral.result.shape, logger: log };
      const corrected = landmarkFile(job, job.id, s.name);
      if (corrected) {
        const { landmarks, embedding } = readLandmarksForModel(corrected, model);
        const t = landmarkTargets(landmarks, embedding.embedding);
        const { record, result } = await registerAndWrite(model, scan, { embedding: t, points: t.points }, outDir(s.name), job.out, {
          ...base(s), landmarks: { source: 'corrected', file: corrected, count: t.faceIdx.length },
        }, reg);
        const truth = truthError(model, job.dataset, job.id, s.name, result);
        if (truth) record.truthErrorMm = truth;
        emit(record);
        continue;
      }
      const neutralDir = join(job.dataset, job.id, neutralEntry.name), exprDir = join(job.dataset, job.id, s.name);
      for (const d of [neutralDir, exprDir]) if (!existsSync(join(d, 'params.json'))) throw new FormatError(join(d, 'params.json'), undefined, 'missing: landmarks cannot be propagated without the cameras (give corrected landmarks for this scan instead)');
      const embedding = neutral.embedding.embedding;
      const used = { faceIdx: Uint32Array.from(neutral.index, (k) => embedding.faceIdx[k]!), bary: new Float64Array(3 * neutral.index.length) };
      neutral.index.forEach((k, j) => { for (let a = 0; a < 3; a++) used.bary[3 * j + a] = embedding.bary[3 * k + a]!; });
      const p = await propagateLandmarks({
        model, neutralVertices: neutral.result.vertices, neutralSurface: neutral.scan.surface, landmarks: used, vertices: carry,
        neutralDir, expressionDir: exprDir, expressionSurface: scan.surface, unitsPerMm: neutral.result.unit.unitsPerMetre / 1000, flow,
      });
      const propagation = { view: p.view, ...p.counts, flowSeconds: Number(p.flowSeconds.toFixed(3)) };
      const minFrac = job.minLandmarkFraction ?? 0.5, minAll = job.minPropagated ?? 20;
      if (p.counts.landmarksReliable < minFrac * p.counts.landmarks || p.counts.reliable < minAll) {
        const image = join(outDir(s.name), 'review.png');
        await writeImage(image, p.picture);
        emit({
          ...base(s), status: 'review', seconds: Number(((performance.now() - t1) / 1000).toFixed(3)),
          reason: `too few reliable propagated landmarks: ${p.counts.landmarksReliable} of ${p.counts.landmarks} landmarks and ${p.counts.reliable} points in all (need ${Math.ceil(minFrac * p.counts.landmarks)} and ${minAll}); give corrected landmarks for this scan`,
          landmarks: { source: 'propagated', count: p.counts.reliable, propagation },
          reviewImage: join(job.id, s.name, 'review.png'),
        });
        continue;
      }
      const { record, result } = await registerAndWrite(model, scan, p.targets, outDir(s.name), job.out, {
        ...base(s), landmarks: { source: 'propagated', count: p.counts.reliable, propagation },
      }, reg);
      const truth = truthError(model, job.dataset, job.id, s.name, result);
      if (truth) record.truthErrorMm = truth;
      const image = join(outDir(s.name), 'landmarks.png');
      await writeImage(image, p.picture);
      record.reviewImage = join(job.id, s.name, 'landmarks.png');
      record.seconds = Number(((performance.now() - t1) / 1000).toFixed(3));
      emit(record);
    } catch (error) {
      log.debug(`register: ${s.path}: ${messageOf(error)}`);
      emit(failedRecord(base(s), error, (performance.now() - t1) / 1000));
    }
  }
  return records;
}
