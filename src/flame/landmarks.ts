/**
 * Landmarks from barycentric embeddings: static (51 iBUG points 17–67), full 68, and FLAME/DECA's
 * yaw-dependent jaw contour.
 */
import type { BarycentricLandmarks, DynamicContour, LandmarkEmbedding } from './model.js';
import { rodrigues, mul3 } from './rotation.js';

/** Names of the 68 iBUG landmarks (subject's right = image left comes first). */
export const IBUG68_NAMES: readonly string[] = [
  ...Array.from({ length: 17 }, (_, k) => `jaw_${k}`),
  ...Array.from({ length: 5 }, (_, k) => `right_brow_${k}`),
  ...Array.from({ length: 5 }, (_, k) => `left_brow_${k}`),
  ...Array.from({ length: 4 }, (_, k) => `nose_bridge_${k}`),
  ...Array.from({ length: 5 }, (_, k) => `nose_base_${k}`),
  ...Array.from({ length: 6 }, (_, k) => `right_eye_${k}`),
  ...Array.from({ length: 6 }, (_, k) => `left_eye_${k}`),
  ...Array.from({ length: 12 }, (_, k) => `mouth_outer_${k}`),
  ...Array.from({ length: 8 }, (_, k) => `mouth_inner_${k}`),
];

/**
 * Landmark positions: out[3k+c] = Σ_j bary[3k+j] · v[faces[3·faceIdx[k]+j], c].
 * vertices: [V*3]; returns out: Float64Array [L*3].
 */
export function landmarkPositions(vertices: ArrayLike<number>, faces: Uint32Array, lmk: Pick<BarycentricLandmarks, 'faceIdx' | 'bary'>, out = new Float64Array(lmk.faceIdx.length * 3)): Float64Array {
  const L = lmk.faceIdx.length;
  for (let k = 0; k < L; k++) {
    const f = lmk.faceIdx[k]!;
    let x = 0, y = 0, z = 0;
    for (let j = 0; j < 3; j++) {
      const v = faces[3 * f + j]!, w = lmk.bary[3 * k + j]!;
      x += w * vertices[3 * v]!; y += w * vertices[3 * v + 1]!; z += w * vertices[3 * v + 2]!;
    }
    out[3 * k] = x; out[3 * k + 1] = y; out[3 * k + 2] = z;
  }
  return out;
}

/** The angle (degrees) that FLAME/DECA's contour bin b stands for: b for 0–39, 39 − b for 40–78. */
export function contourBinAngle(b: number): number {
  return b <= 39 ? b : 39 - b;
}

/** FLAME/DECA's bin for an angle in degrees (the negated head yaw): rounds and clamps to ±39. */
export function contourBin(angleDeg: number): number {
  const a = Math.round(Math.min(angleDeg, 39));
  if (a >= 0) return a;
  return a < -39 ? 78 : 39 - a;
}

const _Rg = new Float64Array(9), _Rn = new Float64Array(9), _R = new Float64Array(9);
/**
 * The head yaw FLAME/DECA use to choose the contour: the y-rotation (degrees) of R_global·R_neck,
 * from the pose [15] (axis-angle). Positive = the face turned towards +X.
 */
export function headYawDegrees(pose: ArrayLike<number>): number {
  rodrigues(_Rg, 0, pose, 0);
  rodrigues(_Rn, 0, pose, 3);
  mul3(_R, 0, _Rg, 0, _Rn, 0);
  const sy = Math.hypot(_R[0]!, _R[3]!);
  return (Math.atan2(-_R[6]!, sy) * 180) / Math.PI;
}

/** The 17 contour landmarks of bin `bin`. */
export function contourForBin(dynamic: DynamicContour, bin: number): BarycentricLandmarks {
  const b = Math.max(0, Math.min(dynamic.bins - 1, bin));
  return {
    faceIdx: dynamic.faceIdx.slice(b * 17, b * 17 + 17),
    bary: dynamic.bary.slice(b * 51, b * 51 + 51),
  };
}

/**
 * The 68 landmarks for a pose: the contour chosen by head yaw from the dynamic embedding (when
 * the model has one, else the frontal contour of `full68`), plus the 51 static points.
 */
export function landmarks68ForPose(embedding: LandmarkEmbedding, pose: ArrayLike<number>): BarycentricLandmarks {
  const stat = embedding.static51 ?? (embedding.full68 && sliceLandmarks(embedding.full68, 17, 68));
  if (!stat) throw new Error('landmarks: the model has no static landmark embedding');
  let contour: BarycentricLandmarks | undefined;
  if (embedding.dynamic) contour = contourForBin(embedding.dynamic, contourBin(-headYawDegrees(pose)));
  else if (embedding.full68) contour = sliceLandmarks(embedding.full68, 0, 17);
  if (!contour) throw new Error('landmarks: the model has no jaw contour embedding');
  return {
    faceIdx: Uint32Array.from([...contour.faceIdx, ...stat.faceIdx]),
    bary: Float64Array.from([...contour.bary, ...stat.bary]),
    names: [...IBUG68_NAMES],
  };
}

/** Landmarks k0..k1−1 of an embedding. */
export function sliceLandmarks(l: BarycentricLandmarks, k0: number, k1: number): BarycentricLandmarks {
  return {
    faceIdx: l.faceIdx.slice(k0, k1),
    bary: l.bary.slice(3 * k0, 3 * k1),
    ...(l.names ? { names: l.names.slice(k0, k1) } : {}),
  };
}
