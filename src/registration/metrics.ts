/**
 * How well a registration fits its scan, in millimetres:
 * - scan-to-mesh: distance from scan points to the registered surface, over the scan points whose
 *   closest registered triangle lies in the face region (the number the summary reports);
 * - mesh-to-scan: per registered vertex, the distance to the scan (saved as `distances.npy`);
 * - landmark error: the registered mesh's landmarks against the given ones.
 */
import type { FlameModel } from '../flame/model.js';
import { landmarkPositions } from '../flame/landmarks.js';
import { ScanSurface } from './scan-surface.js';

export interface DistanceStats {
  median: number;
  mean: number;
  p95: number;
  count: number;
}

export function distanceStats(values: ArrayLike<number>): DistanceStats {
  const v = Float64Array.from(values).filter(Number.isFinite).sort();
  const n = v.length;
  if (!n) return { median: NaN, mean: NaN, p95: NaN, count: 0 };
  let s = 0;
  for (const x of v) s += x;
  return { median: quantile(v, 0.5), mean: s / n, p95: quantile(v, 0.95), count: n };
}

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: Float64Array, q: number): number {
  const x = q * (sorted.length - 1), i = Math.floor(x), f = x - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
}

export interface ScanFitMetrics {
  /** Scan-to-mesh on the face region, mm. */
  scanToMesh: DistanceStats;
  /** Fraction of the sampled scan points near the face region that were farther than `cutoff` (hair, clothing, holes in the registration). */
  beyondCutoff: number;
  /** Per registered vertex, distance to the scan in scan units (NaN farther than the search radius) [V]. */
  vertexDistance: Float32Array;
  /** Landmark error, mm (NaN when no landmarks). */
  landmarks: DistanceStats;
}

export interface MetricOptions {
  /** Scan units per millimetre (1 for a scan in mm, 0.001 for metres). */
  unitsPerMm: number;
  /** Scan points sampled for scan-to-mesh (every k-th so that at most this many; default 30 000). */
  samples?: number;
  /** Scan-to-mesh distances beyond this (mm) are not face surface (default 5). */
  cutoffMm?: number;
  /** The face region (default model.regions.face, else every vertex). */
  face?: Uint32Array;
}

/**
 * registered [V*3] in scan units; scan positions/faces; landmark targets (embedding + scan points)
 * or undefined.
 */
export function scanFitMetrics(
  model: FlameModel, registered: Float64Array, scan: { positions: Float64Array; faces: Uint32Array; surface?: ScanSurface },
  landmarks: { faceIdx: Uint32Array; bary: Float64Array; points: Float64Array } | undefined, options: MetricOptions,
): ScanFitMetrics {
  const mm = 1 / options.unitsPerMm, cutoff = (options.cutoffMm ?? 5) * options.unitsPerMm;
  const V = model.numVertices;
  const face = options.face ?? model.regions.face ?? Uint32Array.from({ length: V }, (_, i) => i);
  const inFace = new Uint8Array(V);
  for (const i of face) inFace[i] = 1;
  // scan → registered surface, on a strided sample of scan points
  const reg = new ScanSurface(registered, model.faces);
  const Vs = scan.positions.length / 3, stride = Math.max(1, Math.ceil(Vs / (options.samples ?? 30000)));
  const n = Math.ceil(Vs / stride), q = new Float64Array(3 * n);
  for (let k = 0; k < n; k++) for (let a = 0; a < 3; a++) q[3 * k + a] = scan.positions[3 * k * stride + a]!;
  const hits = reg.closestPoints(q, 4 * cutoff);
  const d: number[] = [];
  let near = 0, beyond = 0;
  for (let k = 0; k < n; k++) {
    const f = hits.face[k]!;
    if (f < 0) continue;
    const F = reg.faces;
    if (inFace[F[3 * f]!]! + inFace[F[3 * f + 1]!]! + inFace[F[3 * f + 2]!]! < 2) continue;
    near++;
    if (hits.distance[k]! > cutoff) { beyond++; continue; }
    d.push(hits.distance[k]! * mm);
  }
  // registered vertices → scan
  const surface = scan.surface ?? new ScanSurface(scan.positions, scan.faces);
  const back = surface.closestPoints(registered, 20 * cutoff);
  const vertexDistance = Float32Array.from(back.distance, (x) => (Number.isFinite(x) ? x : NaN));
  let lmk: DistanceStats = distanceStats([]);
  if (landmarks && landmarks.faceIdx.length) {
    const p = landmarkPositions(registered, model.faces, landmarks);
    const e = Array.from({ length: landmarks.faceIdx.length }, (_, k) => Math.hypot(p[3 * k]! - landmarks.points[3 * k]!, p[3 * k + 1]! - landmarks.points[3 * k + 1]!, p[3 * k + 2]! - landmarks.points[3 * k + 2]!) * mm);
    lmk = distanceStats(e);
  }
  return { scanToMesh: distanceStats(d), beyondCutoff: near ? beyond / near : 0, vertexDistance, landmarks: lmk };
}

/** Per-vertex error against a truth [V*3] (same frame), mm, on `region` (default all). */
export function vertexErrors(result: Float64Array, truth: ArrayLike<number>, unitsPerMm: number, region?: Uint32Array): Float64Array {
  const idx = region ?? Uint32Array.from({ length: result.length / 3 }, (_, i) => i);
  return Float64Array.from(idx, (i) => Math.hypot(result[3 * i]! - truth[3 * i]!, result[3 * i + 1]! - truth[3 * i + 1]!, result[3 * i + 2]! - truth[3 * i + 2]!) / unitsPerMm);
}
