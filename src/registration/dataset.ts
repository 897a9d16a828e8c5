/**
 * `workbench register DATASET`: every subject of a FaceScape-layout dataset (subject.ts), in
 * parallel over subjects, then `OUT/summary.json` (one record per scan), `OUT/review.json` (scans
 * whose propagated landmarks were too few, with their pictures), `OUT/report.html` and
 * `OUT/manifest.json`. A scan that fails is recorded with its reason; the others go on.
 */
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { FlameModel } from '../flame/model.js';
import { UsageError } from '../util/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { writeManifest } from '../util/manifest.js';
import { Progress } from '../util/progress.js';
import { type Logger, silentLogger } from '../util/log.js';
import { loadFlowModel } from '../flow/index.js';
import { datasetSubjects, subjectScans, registerSubject, landmarkFile, type SubjectJob } from './subject.js';
import { classicalFlow } from './landmark-propagation.js';
import { runSubjectsInWorkers } from './pool.js';
import { reportHtml } from './report.js';
import type { ScanRecord } from './register-files.js';
import type { RegisterScanOptions } from './register-scan.js';

export interface RegisterDatasetOptions {
  dataset: string;
  out: string;
  model: FlameModel;
  landmarksDir?: string;
  /** Worker threads (0: in this thread; default min(2, subjects)). */
  workers?: number;
  /** RAFT-style ONNX flow model (default: the classical method). */
  flowModel?: string;
  /** Only these subjects / expressions. */
  subjects?: string[];
  expressions?: string[];
  minLandmarkFraction?: number;
  minPropagated?: number;
  registration?: Omit<RegisterScanOptions, 'logger' | 'shape'>;
  logger?: Logger;
}

export interface RegisterDatasetResult {
  out: string;
  records: ScanRecord[];
  totals: { scans: number; ok: number; failed: number; review: number; skipped: number };
  summary: string;
  review: string;
  report: string;
  seconds: number;
}

export async function registerDataset(o: RegisterDatasetOptions): Promise<RegisterDatasetResult> {
  const t0 = performance.now();
  const log = o.logger ?? silentLogger;
  const dataset = resolve(o.dataset), out = resolve(o.out);
  if (!existsSync(dataset)) throw new UsageError(`register: dataset '${o.dataset}' not found`);
  let ids = datasetSubjects(dataset);
  if (o.subjects) {
    const missing = o.subjects.filter((s) => !ids.includes(s));
    if (missing.length) throw new UsageError(`register: subject(s) ${missing.join(', ')} not in ${o.dataset} (has ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''})`);
    ids = o.subjects;
  }
  if (!ids.length) throw new UsageError(`register: no subjects in '${o.dataset}' (expected {id}/models_reg/{k}_{expression}.obj, the FaceScape layout)`);
  if (o.flowModel && !existsSync(o.flowModel)) throw new UsageError(`register: flow model '${o.flowModel}' not found`);
  await mkdir(out, { recursive: true });
  const jobs: SubjectJob[] = ids.map((id) => ({
    dataset, id, out,
    ...(o.landmarksDir ? { landmarksDir: resolve(o.landmarksDir) } : {}),
    ...(o.expressions ? { expressions: o.expressions } : {}),
    ...(o.minLandmarkFraction !== undefined ? { minLandmarkFraction: o.minLandmarkFraction } : {}),
    ...(o.minPropagated !== undefined ? { minPropagated: o.minPropagated } : {}),
    ...(o.registration ? { registration: o.registration } : {}),
  }));
  const total = ids.reduce((n, id) => n + subjectScans(dataset, id).filter((s) => !o.expressions || /neutral$/.test(s.name) || o.expressions.includes(s.name)).length, 0);
  const progress = new Progress('register', total, { logger: log });
  const records: ScanRecord[] = [];
  const onRecord = (r: ScanRecord) => {
    records.push(r);
    progress.tick(1, r.status === 'failed');
    if (r.status === 'failed') log.warn(`register: ${r.scan}: ${r.reason}`);
    else if (r.status !== 'ok') log.info(`register: ${r.scan}: ${r.status}: ${r.reason}`);
  };
  const onSubjectFailed = (id: string, message: string) => {
    for (const s of subjectScans(dataset, id)) if (!records.some((r) => r.scan === s.path)) onRecord({ id, expression: s.name, scan: s.path, status: 'failed', reason: message, seconds: 0 });
  };
  const workers = o.workers ?? Math.min(2, ids.length);
  if (workers <= 0 || ids.length === 1) {
    const flow = o.flowModel ? await loadFlowModel(o.flowModel) : classicalFlow;
    for (const job of jobs) {
      try { await registerSubject(o.model, job, { flow, logger: log, onRecord }); } catch (e) { onSubjectFailed(job.id, (e as Error).message); }
    }
  } else {
    await runSubjectsInWorkers({ model: o.model, verbose: false, ...(o.flowModel ? { flowModel: resolve(o.flowModel) } : {}) }, jobs, workers, onRecord, onSubjectFailed);
  }
  progress.finish();
  // in dataset order
  const order = new Map(ids.map((id, k) => [id, k]));
  records.sort((a, b) => order.get(a.id)! - order.get(b.id)! || a.scan.localeCompare(b.scan, undefined, { numeric: true }));
  const totals = { scans: records.length, ok: 0, failed: 0, review: 0, skipped: 0 };
  for (const r of records) totals[r.status]++;
  const seconds = (performance.now() - t0) / 1000;
  const parameters = { model: o.model.source, landmarks: o.landmarksDir ?? 'beside the scans', flow: o.flowModel ?? 'classical', workers, registration: o.registration ?? {} };
  const summary = join(out, 'summary.json'), review = join(out, 'review.json'), report = join(out, 'report.html');
  await writeJsonAtomic(summary, { dataset, totals, seconds: Number(seconds.toFixed(2)), parameters, scans: records });
  await writeJsonAtomic(review, {
    dataset,
    scans: records.filter((r) => r.status === 'review').map((r) => ({ id: r.id, expression: r.expression, scan: r.scan, reason: r.reason, image: r.reviewImage, propagation: r.landmarks?.propagation })),
  });
  await writeFileAtomic(report, reportHtml(records, { title: 'workbench register', dataset, totals, parameters }));
  const inputs: string[] = [];
  for (const id of ids) for (const s of subjectScans(dataset, id)) {
    inputs.push(s.path);
    const l = landmarkFile({ dataset, ...(o.landmarksDir ? { landmarksDir: resolve(o.landmarksDir) } : {}) }, id, s.name);
    if (l) inputs.push(l);
  }
  const outputs = [summary, review, report];
  for (const r of records) {
    for (const p of Object.values(r.outputs ?? {})) outputs.push(join(out, p));
    if (r.reviewImage) outputs.push(join(out, r.reviewImage));
  }
  await writeManifest(out, { command: 'register', parameters, inputs, outputs });
  return { out, records, totals, summary, review, report, seconds };
}
