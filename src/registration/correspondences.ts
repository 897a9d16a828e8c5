/**
 * Closest-point correspondences from model vertices to the scan, with the rejections that keep
 * holes, hair caps, shoulders and noise from pulling the mesh:
 * - distance: farther than `maxDistance` → no target;
 * - normals: the model normal and the scan normal at the closest point must agree within
 *   `maxNormalAngle` (a hair cap's inside, the other side of a thin part, a shoulder's top);
 * - border: a closest point on a triangle touching the scan's border (a hole's rim, the cut at
 *   the neck) is not a real correspondence — the true surface point is missing.
 */
import { computeVertexNormals } from '../io/mesh.js';
import type { PointTargets } from '../fit/terms/points.js';
import type { ScanSurface } from './scan-surface.js';

export interface CorrespondenceOptions {
  /** Metres (model space). */
  maxDistance: number;
  /** Degrees. */
  maxNormalAngle: number;
}

export interface CorrespondenceStats {
  candidates: number;
  accepted: number;
  rejectedDistance: number;
  rejectedNormal: number;
  rejectedBorder: number;
}

/**
 * world [V*3] model vertices (model space), faces the model's triangles, candidates the vertices
 * that may take part and their weights [n]. Returns targets (scan points and scan normals) for
 * the accepted ones.
 */
export function closestPointTargets(
  surface: ScanSurface, world: Float64Array, faces: Uint32Array, candidates: Uint32Array, weights: Float64Array, options: CorrespondenceOptions,
): { targets: PointTargets; stats: CorrespondenceStats } {
  const normals = computeVertexNormals(new Float64Array(world.length), world, faces);
  const n = candidates.length;
  const queries = new Float64Array(3 * n);
  candidates.forEach((i, k) => { queries[3 * k] = world[3 * i]!; queries[3 * k + 1] = world[3 * i + 1]!; queries[3 * k + 2] = world[3 * i + 2]!; });
  const hits = surface.closestPoints(queries, options.maxDistance);
  const cos = Math.cos((options.maxNormalAngle * Math.PI) / 180);
  const vs: number[] = [], w: number[] = [];
  const keep: number[] = [];
  const stats: CorrespondenceStats = { candidates: n, accepted: 0, rejectedDistance: 0, rejectedNormal: 0, rejectedBorder: 0 };
  for (let k = 0; k < n; k++) {
    const f = hits.face[k]!;
    if (f < 0) { stats.rejectedDistance++; continue; }
    const i = candidates[k]!;
    const d = normals[3 * i]! * hits.normals[3 * k]! + normals[3 * i + 1]! * hits.normals[3 * k + 1]! + normals[3 * i + 2]! * hits.normals[3 * k + 2]!;
    if (d < cos) { stats.rejectedNormal++; continue; }
    if (surface.touchesBoundary(f)) { stats.rejectedBorder++; continue; }
    vs.push(i); w.push(weights[k]!); keep.push(k);
  }
  stats.accepted = vs.length;
  const points = new Float64Array(3 * vs.length), pn = new Float64Array(3 * vs.length);
  keep.forEach((k, j) => {
    for (let a = 0; a < 3; a++) { points[3 * j + a] = hits.points[3 * k + a]!; pn[3 * j + a] = hits.normals[3 * k + a]!; }
  });
  return { targets: { vertices: Uint32Array.from(vs), points, normals: pn, weights: Float64Array.from(w) }, stats };
}
