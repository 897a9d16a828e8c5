/**
 * One scan from files to files: load and check the scan, register it to its landmarks, measure
 * the fit, write the outputs; and the record that the summary, the review list and the report
 * are made of. Errors become a failed record with the reason; nothing half-written is left
 * (every file is written atomically).
 */
import { relative } from 'node:path';
import type { FlameModel } from '../flame/model.js';
import type { Mesh } from '../io/mesh.js';
import { messageOf } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { loadScan, type ScanInfo } from './scan-io.js';
import { registerScan, type LandmarkTargets, type RegisterScanOptions, type RegistrationResult } from './register-scan.js';
import { scanFitMetrics, type DistanceStats } from './metrics.js';
import { scanToModel } from './align.js';
import { qaPicture } from './qa-picture.js';
import { writeRegistration } from './outputs.js';
import { ScanSurface } from './scan-surface.js';

export type ScanStatus = 'ok' | 'failed' | 'review' | 'skipped';

export interface ScanRecord {
  id: string;
  expression: string;
  scan: string;
  status: ScanStatus;
  reason?: string;
  /** Where the landmarks came from. */
  landmarks?: { source: 'manual' | 'propagated' | 'corrected'; file?: string; count: number; propagation?: Record<string, number> };
  unit?: string;
  scale?: number;
  scanVertices?: number;
  /** Scan-to-mesh distance on the face region, mm. */
  scanToMeshMm?: { median: number; mean: number; p95: number };
  /** Fraction of scan points by the face farther than the cutoff (hair, clothing). */
  beyondCutoff?: number;
  landmarkErrorMm?: { median: number; mean: number; max?: number };
  /** Truth error (synthetic datasets only), mm. */
  truthErrorMm?: { median: number; mean: number; p95: number };
  seconds: number;
  stages?: Array<{ stage: string; seconds: number }>;
  /** Output files, relative to the output root. */
  outputs?: Record<string, string>;
  /** Review picture (propagated landmarks), relative to the output root. */
  reviewImage?: string;
}

export interface LoadedScan {
  mesh: Mesh;
  info: ScanInfo;
  surface: ScanSurface;
}

export async function loadScanSurface(path: string): Promise<LoadedScan> {
  const { mesh, info } = await loadScan(path);
  return { mesh, info, surface: new ScanSurface(mesh.positions, mesh.faces) };
}

export interface RegisteredScan {
  record: ScanRecord;
  result: RegistrationResult;
}

const round = (x: number, d = 4): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : x);
const stat = (s: DistanceStats) => ({ median: round(s.median), mean: round(s.mean), p95: round(s.p95) });

/**
 * Registers a loaded scan to landmark targets and writes the outputs into `outDir`. `root` is the
 * folder record paths are relative to.
 */
export async function registerAndWrite(
  model: FlameModel, scan: LoadedScan, targets: LandmarkTargets, outDir: string, root: string, base: Pick<ScanRecord, 'id' | 'expression' | 'scan' | 'landmarks'>,
  options: RegisterScanOptions & { logger?: Logger },
): Promise<RegisteredScan> {
  const t0 = performance.now();
  const result = await registerScan(model, scan.mesh, targets, options);
  const unitsPerMm = result.unit.unitsPerMetre / 1000;
  const metrics = scanFitMetrics(model, result.vertices, { positions: scan.mesh.positions, faces: scan.mesh.faces, surface: scan.surface }, { faceIdx: targets.embedding.faceIdx, bary: targets.embedding.bary, points: targets.points }, { unitsPerMm });
  const distanceMm = Float32Array.from(metrics.vertexDistance, (d) => d / unitsPerMm);
  // the QA picture in model space, looking at the face
  const target: [number, number, number] = [0, 0, 0];
  const face = model.regions.face ?? Uint32Array.from({ length: model.numVertices }, (_, i) => i);
  for (const i of face) for (let a = 0; a < 3; a++) target[a] += result.modelVertices[3 * i + a]! / face.length;
  const qa = qaPicture({
    scanPositions: scanToModel(result.similarity, scan.mesh.positions), scanFaces: scan.mesh.faces,
    registration: result.modelVertices, faces: model.faces, distanceMm, target,
  });
  const files = await writeRegistration(outDir, model, result, distanceMm, qa);
  const record: ScanRecord = {
    ...base,
    status: 'ok',
    unit: result.unit.unit,
    scale: round(result.similarity.s, 6),
    scanVertices: scan.info.vertices,
    scanToMeshMm: stat(metrics.scanToMesh),
    beyondCutoff: round(metrics.beyondCutoff),
    landmarkErrorMm: { median: round(metrics.landmarks.median), mean: round(metrics.landmarks.mean) },
    seconds: round((performance.now() - t0) / 1000, 3),
    stages: result.stages.map((s) => ({ stage: s.stage, seconds: round(s.seconds, 3) })),
    outputs: Object.fromEntries(Object.entries(files).map(([k, p]) => [k, relative(root, p).split('\\').join('/')])),
  };
  return { record, result };
}

/** A failed record from an error. */
export function failedRecord(base: Pick<ScanRecord, 'id' | 'expression' | 'scan'>, error: unknown, seconds = 0): ScanRecord {
  return { ...base, status: 'failed', reason: messageOf(error), seconds: round(seconds, 3) };
}
