/**
 * Joints, skinning weights and pose correctives of the built-in model.
 *
 * Joints (FLAME order): global at the lower neck, neck at the skull base, jaw on the line between
 * the two jaw joints in front of the ears, and the eyeball centres. Each is regressed as a convex
 * average of mesh vertices, so joints follow the shape like FLAME's J_regressor.
 * Weights: eyeballs → their eye joint; the lower face (lower lip, chin, jaw, under the chin) → jaw,
 * with a sharp step at the mouth slit and a smooth band over the cheeks; the rest of the head →
 * neck; the neck blends from neck to global towards its base.
 */
import { NUM_JOINTS, POSE_FEATURES, descendantTable } from '../model.js';
import type { HeadMesh } from './head-mesh.js';
import { lowerFaceField, smoothstep } from './masks.js';

export interface Skinning {
  jRegressor: Float64Array; // [J*V]
  weights: Float64Array; // [V*J]
  poseDirs: Float64Array; // [V*3*36]
}

/** Vertices within `radius` of `centre`, weighted by a smooth kernel, normalised. */
function kernelRow(positions: Float64Array, part: Uint8Array, centre: readonly number[], radius: number, row: Float64Array): void {
  const V = positions.length / 3;
  let s = 0;
  for (let i = 0; i < V; i++) {
    if (part[i] !== 0) continue;
    const d = Math.hypot(positions[3 * i]! - centre[0]!, positions[3 * i + 1]! - centre[1]!, positions[3 * i + 2]! - centre[2]!);
    if (d >= radius) continue;
    const w = (1 - (d / radius) ** 2) ** 2;
    row[i]! += w;
    s += w;
  }
  if (s === 0) throw new Error(`builtin model: no vertices near joint anchor ${centre.join(',')}`);
  for (let i = 0; i < V; i++) row[i]! /= s;
}

export function buildSkinning(mesh: HeadMesh): Skinning {
  const V = mesh.positions.length / 3;
  const J = NUM_JOINTS;
  const P = mesh.positions;
  const jRegressor = new Float64Array(J * V);
  // global: the ring of the lower neck; neck: the ring at the top of the neck (their centroids
  // lie on the neck axis).
  for (const [j, tLo, tHi] of [[0, 13.9, 14.3], [1, 12.7, 13.1]] as const) {
    const row = jRegressor.subarray(j * V, (j + 1) * V);
    let n = 0;
    for (let i = 0; i < V; i++) {
      const t = mesh.param[2 * i + 1]!;
      if (mesh.part[i] === 0 && mesh.gridRow[i]! >= 0 && t >= tLo && t <= tHi) { row[i] = 1; n++; }
    }
    if (n === 0) throw new Error(`builtin model: no vertices between levels ${tLo} and ${tHi}`);
    // a full ring per row: the average is the ring's centroid
    for (let i = 0; i < V; i++) row[i]! /= n;
  }
  // jaw: the two jaw-joint patches in front of the ears (their mean lies on the midline)
  {
    const row = jRegressor.subarray(2 * V, 3 * V);
    const a = new Float64Array(V), b = new Float64Array(V);
    kernelRow(P, mesh.part, [0.072, -0.006, 0.012], 0.016, a);
    kernelRow(P, mesh.part, [-0.072, -0.006, 0.012], 0.016, b);
    for (let i = 0; i < V; i++) row[i] = 0.5 * (a[i]! + b[i]!);
  }
  // eyes: all eyeball vertices, which are symmetric about the centre
  for (const [j, partId] of [[3, 1], [4, 2]] as const) {
    const row = jRegressor.subarray(j * V, (j + 1) * V);
    let n = 0;
    for (let i = 0; i < V; i++) if (mesh.part[i] === partId) n++;
    for (let i = 0; i < V; i++) if (mesh.part[i] === partId) row[i] = 1 / n;
  }

  const jaw = lowerFaceField(mesh, true);
  const weights = new Float64Array(V * J);
  for (let i = 0; i < V; i++) {
    if (mesh.part[i] === 1) { weights[i * J + 3] = 1; continue; }
    if (mesh.part[i] === 2) { weights[i * J + 4] = 1; continue; }
    const t = mesh.param[2 * i + 1]!;
    const g = smoothstep(12.9, 14.6, t);
    weights[i * J] = g;
    weights[i * J + 2] = (1 - g) * jaw[i]!;
    weights[i * J + 1] = (1 - g) * (1 - jaw[i]!);
  }

  // Pose correctives: in the band where a joint's influence is partial, add back part of the
  // joint's rotation about itself, d_i = γ_ij (R_j − I)(v_i − J_j), which is linear in
  // vec(R_j − I) and counters linear blend skinning's collapse of the blend zone.
  // γ_ij = κ_j · 4 W_ij (1 − W_ij), with W_ij the weight of joint j and everything below it
  // (a vertex on the jaw turns with the neck too).
  const joints = new Float64Array(J * 3);
  for (let j = 0; j < J; j++) for (let i = 0; i < V; i++) {
    const w = jRegressor[j * V + i]!;
    if (w) for (let k = 0; k < 3; k++) joints[3 * j + k]! += w * P[3 * i + k]!;
  }
  const kappa = [0, 0.35, 0.3, 0, 0];
  const poseDirs = new Float64Array(V * 3 * POSE_FEATURES);
  const below = descendantTable(Int32Array.from([-1, 0, 1, 1, 1]));
  for (let i = 0; i < V; i++) {
    for (let j = 1; j < J; j++) {
      let w = 0;
      for (let m = 0; m < J; m++) if (below[j * J + m]) w += weights[i * J + m]!;
      const gamma = kappa[j]! * 4 * w * (1 - w);
      if (gamma === 0) continue;
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          // feature index of (R_j − I)[a][b]; displacement along axis a by γ (v − J_j)_b
          poseDirs[(3 * i + a) * POSE_FEATURES + 9 * (j - 1) + 3 * a + b] = gamma * (P[3 * i + b]! - joints[3 * j + b]!);
        }
      }
    }
  }
  return { jRegressor, weights, poseDirs };
}
