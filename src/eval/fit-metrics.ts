/**
 * Metrics of a fit against truth: mean reprojection error of the fitted vertices through the
 * fitted cameras versus the true vertices through the true cameras (over observed vertices), and
 * mean 3D vertex error after removing the gauge (one similarity for the whole sequence).
 */
import { umeyama, applySimilarity } from '../fit/umeyama.js';

function project(K: ArrayLike<number>, Rt: ArrayLike<number>, x: number, y: number, z: number, out: number[]): void {
  const X = Rt[0]! * x + Rt[1]! * y + Rt[2]! * z + Rt[3]!, Y = Rt[4]! * x + Rt[5]! * y + Rt[6]! * z + Rt[7]!, Z = Rt[8]! * x + Rt[9]! * y + Rt[10]! * z + Rt[11]!;
  out[0] = K[0]! * X / Z + K[1]! * Y / Z + K[2]!;
  out[1] = K[4]! * Y / Z + K[5]!;
}

/**
 * Mean pixel distance between fitted and true projections over (t, c, i) where `mask` is non-zero
 * (e.g. σ > 0). vertices/truth [T*V*3], K [C*9], Rt [C*12].
 */
export function reprojectionError(vertices: Float64Array, K: Float64Array, Rt: Float64Array, truth: Float64Array, truthK: Float64Array, truthRt: Float64Array, T: number, C: number, mask?: ArrayLike<number>): number {
  const V = vertices.length / (3 * T);
  const a = [0, 0], b = [0, 0];
  let s = 0, n = 0;
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) {
    const k = K.subarray(9 * c, 9 * c + 9), r = Rt.subarray(12 * c, 12 * c + 12), kt = truthK.subarray(9 * c, 9 * c + 9), rt = truthRt.subarray(12 * c, 12 * c + 12);
    for (let i = 0; i < V; i++) {
      if (mask && !(mask[(t * C + c) * V + i]! > 0)) continue;
      const o = 3 * (t * V + i);
      project(k, r, vertices[o]!, vertices[o + 1]!, vertices[o + 2]!, a);
      project(kt, rt, truth[o]!, truth[o + 1]!, truth[o + 2]!, b);
      s += Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);
      n++;
    }
  }
  return n ? s / n : NaN;
}

/** Mean 3D distance (metres) after aligning all frames to the truth with one similarity (scale optional). */
export function alignedVertexError(vertices: Float64Array, truth: Float64Array, options: { scale?: boolean } = {}): number {
  const sim = umeyama(vertices, truth, { scale: options.scale ?? true });
  const aligned = applySimilarity(sim, vertices);
  let s = 0;
  for (let i = 0; i < aligned.length / 3; i++) s += Math.hypot(aligned[3 * i]! - truth[3 * i]!, aligned[3 * i + 1]! - truth[3 * i + 1]!, aligned[3 * i + 2]! - truth[3 * i + 2]!);
  return s / (aligned.length / 3);
}
