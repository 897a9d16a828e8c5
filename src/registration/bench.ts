/**
 * `workbench bench register`: a synthetic FaceScape dataset with known truth (`synth facescape`),
 * registered as `workbench register` does (worker threads over subjects), timed and compared with
 * the truth. Reports wall seconds per scan (registration only, not the generation), the scan size,
 * and the median face-region vertex error against the truth, overall and for neutral and
 * expression scans apart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlameModel } from '../flame/model.js';
import { synthFacescape } from '../synth/facescape.js';
import { registerDataset } from './dataset.js';
import type { Seed } from '../util/rng.js';
import { type Logger, silentLogger } from '../util/log.js';

export interface BenchRegisterOptions {
  subjects?: number;
  expressions?: number;
  workers?: number;
  scanVertices?: number;
  seed?: Seed;
  /** Keep the dataset and registrations here (default: a temporary folder, removed). */
  keep?: string;
  logger?: Logger;
}

export interface BenchRegisterResult {
  bench: 'register';
  seconds_per_scan: number;
  scan_vertices: number;
  median_error_mm: number;
  neutral_median_error_mm: number;
  expression_median_error_mm: number;
  worst_scan_median_error_mm: number;
  scan_to_mesh_median_mm: number;
  scans: number;
  failed: number;
  review: number;
  workers: number;
  cpu_seconds: number;
}

function median(v: number[]): number {
  const s = v.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

export async function benchRegister(model: FlameModel, o: BenchRegisterOptions = {}): Promise<BenchRegisterResult> {
  const root = o.keep ?? (await mkdtemp(join(tmpdir(), 'workbench-bench-register-')));
  const log = o.logger ?? silentLogger;
  try {
    const dataset = join(root, 'dataset');
    await synthFacescape({
      out: dataset, subjects: o.subjects ?? 2, expressions: o.expressions ?? 2, seed: o.seed ?? 0, size: 512, views: 4, textureSize: 1024,
      ...(o.scanVertices ? { scanVertices: o.scanVertices } : {}), model, logger: silentLogger,
    });
    log.info('bench register: dataset ready, registering');
    const workers = o.workers ?? 2;
    const cpu0 = process.cpuUsage();
    const res = await registerDataset({ dataset, out: join(root, 'registrations'), model, workers, logger: log });
    const cpu = process.cpuUsage(cpu0);
    const ok = res.records.filter((r) => r.status === 'ok');
    const err = (list: typeof ok) => median(list.map((r) => r.truthErrorMm?.median ?? NaN));
    const neutral = ok.filter((r) => /neutral$/.test(r.expression)), expression = ok.filter((r) => !/neutral$/.test(r.expression));
    return {
      bench: 'register',
      seconds_per_scan: Number((res.seconds / Math.max(1, res.records.length)).toFixed(3)),
      scan_vertices: Math.round(median(ok.map((r) => r.scanVertices ?? NaN))),
      median_error_mm: Number(err(ok).toFixed(4)),
      neutral_median_error_mm: Number(err(neutral).toFixed(4)),
      expression_median_error_mm: Number(err(expression).toFixed(4)),
      worst_scan_median_error_mm: Number(Math.max(...ok.map((r) => r.truthErrorMm?.median ?? NaN)).toFixed(4)),
      scan_to_mesh_median_mm: Number(median(ok.map((r) => r.scanToMeshMm?.median ?? NaN)).toFixed(4)),
      scans: res.records.length, failed: res.totals.failed, review: res.totals.review, workers,
      // the main thread's process CPU time includes the worker threads
      cpu_seconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    };
  } finally {
    if (!o.keep) await rm(root, { recursive: true, force: true });
  }
}
