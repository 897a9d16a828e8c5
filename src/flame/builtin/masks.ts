/**
 * Smooth per-vertex masks of the mean head used by the skinning weights, the regions and the
 * shape/expression components (all in [0, 1], metres in the frontal chart).
 */
import { ANCHORS } from './features.js';
import type { HeadMesh } from './head-mesh.js';

export const smoothstep = (a: number, b: number, x: number): number => {
  const t = Math.min(1, Math.max(0, (x - a) / (b - a)));
  return t * t * (3 - 2 * t);
};
export const gauss = (d: number, s: number): number => Math.exp((-0.5 * d * d) / (s * s));

/** Angle of a vertex around the vertical axis: 0 at the front, ±π/2 at the ears. */
export function yawOf(x: number, z: number): number {
  return Math.atan2(x, z);
}

/**
 * The lower-face field: 1 on the lower lip, chin and jaw, 0 on the upper lip and above, with a sharp
 * step at the mouth slit (the two lips are separate vertices) and a smooth band across the cheeks
 * up to the jaw joint in front of the ears. `fades` = also fade out behind the jaw and down the neck.
 */
export function lowerFaceField(mesh: HeadMesh, fades: boolean): Float64Array {
  const V = mesh.positions.length / 3;
  const out = new Float64Array(V);
  const A = ANCHORS;
  const cornerYaw = Math.atan2(A.mouthHalfWidth, 0.09);
  for (let i = 0; i < V; i++) {
    if (mesh.part[i] !== 0) continue;
    const x = mesh.positions[3 * i]!, y = mesh.positions[3 * i + 1]!, z = mesh.positions[3 * i + 2]!;
    const yaw = Math.abs(yawOf(x, z));
    const t = mesh.param[2 * i + 1]!;
    const yc = A.mouthY + (-0.004 - A.mouthY) * smoothstep(cornerYaw, 1.35, yaw);
    const w = 0.0022 + 0.011 * smoothstep(cornerYaw * 0.6, 1.0, yaw);
    let f = 1 - smoothstep(yc - w, yc + w, y);
    if (fades) f *= (1 - smoothstep(1.3, 1.62, yaw)) * (1 - smoothstep(11.7, 13.0, t));
    out[i] = f;
  }
  for (let k = 0; k < mesh.slitUpper.length; k++) {
    out[mesh.slitUpper[k]!] = 0;
    out[mesh.slitLower[k]!] = 1;
  }
  return out;
}

/** Normalised radius of a point in an axis-aligned ellipse of the frontal chart. */
export function ellipseRadius(x: number, y: number, cx: number, cy: number, rx: number, ry: number): number {
  return Math.hypot((x - cx) / rx, (y - cy) / ry);
}

/** Normalised radius in the ear ellipse of the side chart (side +1 = left ear at +X). */
export function earRadius(x: number, y: number, z: number, side: number): number {
  if (Math.sign(x) !== side || Math.abs(x) < 0.045) return Infinity;
  const A = ANCHORS;
  const dz = z - A.earCenterZY[0], dy = y - A.earCenterZY[1];
  const tilt = 0.21;
  const u = (dz * Math.cos(tilt) + dy * Math.sin(tilt)) / A.earHalfWidth;
  const v = (-dz * Math.sin(tilt) + dy * Math.cos(tilt)) / A.earHalfHeight;
  return Math.hypot(u, v * (v < 0 ? 1.15 : 1));
}
