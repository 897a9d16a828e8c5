/**
 * `workbench register scan SCAN --landmarks L`: one scan, its outputs directly in OUT, with the
 * same summary.json / review.json / report.html as a dataset run (one record).
 */
import { join, resolve, basename, extname } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { FlameModel } from '../flame/model.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { writeManifest } from '../util/manifest.js';
import { type Logger, silentLogger } from '../util/log.js';
import { readLandmarksForModel, landmarkTargets } from './landmarks-io.js';
import { loadScanSurface, registerAndWrite, failedRecord, type ScanRecord } from './register-files.js';
import { reportHtml } from './report.js';
import type { RegisterScanOptions } from './register-scan.js';
import { vertexErrors, distanceStats } from './metrics.js';
import { loadNpz } from '../io/npz.js';
import { isNdArray, toFloat64 } from '../io/ndarray.js';

export interface RegisterScanFileOptions {
  scan: string;
  landmarks: string;
  model: FlameModel;
  out: string;
  /** Truth vertices npz (`vertices` [V,3], scan frame and units) to report the vertex error against. */
  truth?: string;
  registration?: Omit<RegisterScanOptions, 'logger'>;
  logger?: Logger;
}

export async function registerScanFile(o: RegisterScanFileOptions): Promise<{ record: ScanRecord; summary: string; report: string }> {
  const log = o.logger ?? silentLogger;
  const out = resolve(o.out);
  await mkdir(out, { recursive: true });
  const base = { id: basename(o.scan, extname(o.scan)), expression: basename(o.scan, extname(o.scan)), scan: resolve(o.scan) };
  const t0 = performance.now();
  let record: ScanRecord;
  try {
    const { landmarks, embedding } = readLandmarksForModel(o.landmarks, o.model);
    const t = landmarkTargets(landmarks, embedding.embedding);
    const scan = await loadScanSurface(o.scan);
    const r = await registerAndWrite(o.model, scan, { embedding: t, points: t.points }, out, out, {
      ...base, landmarks: { source: 'manual', file: resolve(o.landmarks), count: t.faceIdx.length },
    }, { ...o.registration, logger: log });
    record = r.record;
    if (o.truth) {
      const v = loadNpz(o.truth).get('vertices');
      if (!isNdArray(v) || v.data.length !== r.result.vertices.length) throw new Error(`${o.truth}: 'vertices' must be [${o.model.numVertices}, 3]`);
      const e = distanceStats(vertexErrors(r.result.vertices, toFloat64(v, o.truth), r.result.unit.unitsPerMetre / 1000, o.model.regions.face));
      record.truthErrorMm = { median: Number(e.median.toFixed(4)), mean: Number(e.mean.toFixed(4)), p95: Number(e.p95.toFixed(4)) };
    }
  } catch (error) {
    record = failedRecord(base, error, (performance.now() - t0) / 1000);
  }
  const totals = { scans: 1, ok: 0, failed: 0, review: 0, skipped: 0 };
  totals[record.status]++;
  const parameters = { model: o.model.source, landmarks: o.landmarks, registration: o.registration ?? {} };
  const summary = join(out, 'summary.json'), review = join(out, 'review.json'), report = join(out, 'report.html');
  await writeJsonAtomic(summary, { scan: base.scan, totals, parameters, scans: [record] });
  await writeJsonAtomic(review, { scans: [] });
  await writeFileAtomic(report, reportHtml([record], { title: 'workbench register scan', dataset: o.scan, totals, parameters }));
  await writeManifest(out, {
    command: 'register scan', parameters, inputs: [o.scan, o.landmarks],
    outputs: [summary, review, report, ...Object.values(record.outputs ?? {}).map((p) => join(out, p))],
  });
  return { record, summary, report };
}
