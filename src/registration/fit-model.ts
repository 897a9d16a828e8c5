/**
 * The model the parametric stages (landmarks, closest points) fit: only the vertices that carry
 * data (the fit region and the landmarks' triangles) and the leading shape and expression
 * components. Joints still come from the whole mesh (`restrictModel`'s joint maps), so its
 * vertices are exactly the full model's; a fit costs a fraction (measured: 2 500 of 5 044
 * vertices, 100 of 300 shape components).
 */
import type { FlameModel, BarycentricLandmarks } from '../flame/model.js';
import { restrictModel } from '../flame/restrict.js';
import { truncateModel } from '../flame/load.js';

export interface FitModel {
  /** The restricted model; its `faces` are the full model's triangles whose vertices it all has. */
  model: FlameModel;
  /** Full-model index of each restricted vertex [n]. */
  rows: Uint32Array;
  /** Restricted index of each full-model vertex (−1: absent) [V]. */
  slot: Int32Array;
  /** The landmark embedding re-indexed to the restricted faces. */
  landmarks: Pick<BarycentricLandmarks, 'faceIdx' | 'bary'>;
}

/**
 * vertices: full-model indices that must be present; landmarks: the embedding of the scan's
 * landmarks (their triangles are added); shape/expr: components kept.
 */
export function buildFitModel(model: FlameModel, vertices: Uint32Array, landmarks: Pick<BarycentricLandmarks, 'faceIdx' | 'bary'>, shape: number, expr: number): FitModel {
  const V = model.numVertices, F = model.faces;
  const keep = new Uint8Array(V);
  for (const i of vertices) keep[i] = 1;
  for (const f of landmarks.faceIdx) for (let c = 0; c < 3; c++) keep[F[3 * f + c]!] = 1;
  const rowList: number[] = [];
  keep.forEach((k, i) => { if (k) rowList.push(i); });
  const rows = Uint32Array.from(rowList);
  const slot = new Int32Array(V).fill(-1);
  rows.forEach((i, k) => { slot[i] = k; });
  const truncated = truncateModel(model, Math.min(shape, model.numShape), Math.min(expr, model.numExpr));
  const restricted = restrictModel(truncated, rows);
  // triangles with all three corners kept (normals, landmarks), and where each full triangle went
  const faces: number[] = [];
  const faceSlot = new Int32Array(F.length / 3).fill(-1);
  for (let f = 0; f < F.length / 3; f++) {
    const a = slot[F[3 * f]!]!, b = slot[F[3 * f + 1]!]!, c = slot[F[3 * f + 2]!]!;
    if (a < 0 || b < 0 || c < 0) continue;
    faceSlot[f] = faces.length / 3;
    faces.push(a, b, c);
  }
  const faceIdx = Uint32Array.from(landmarks.faceIdx, (f) => faceSlot[f]!);
  return { model: { ...restricted, faces: Uint32Array.from(faces) }, rows, slot, landmarks: { faceIdx, bary: landmarks.bary } };
}
