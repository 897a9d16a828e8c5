/**
 * Vertex regions of the built-in model, with FLAME's names (FLAME_masks.pkl): face, forehead,
 * eye_region, left_eye_region, right_eye_region, nose, lips, left_ear, right_ear, neck, scalp,
 * boundary, left_eyeball, right_eyeball.
 */
import { ANCHORS } from './features.js';
import type { HeadMesh } from './head-mesh.js';
import { earRadius, ellipseRadius, yawOf } from './masks.js';

export function buildRegions(mesh: HeadMesh): Record<string, Uint32Array> {
  const V = mesh.positions.length / 3;
  const A = ANCHORS;
  const sets: Record<string, number[]> = {
    face: [], forehead: [], eye_region: [], left_eye_region: [], right_eye_region: [], nose: [], lips: [],
    left_ear: [], right_ear: [], neck: [], scalp: [], boundary: [], left_eyeball: [], right_eyeball: [],
  };
  for (let i = 0; i < V; i++) {
    if (mesh.part[i] === 1) { sets.left_eyeball!.push(i); continue; }
    if (mesh.part[i] === 2) { sets.right_eyeball!.push(i); continue; }
    const x = mesh.positions[3 * i]!, y = mesh.positions[3 * i + 1]!, z = mesh.positions[3 * i + 2]!;
    const t = mesh.param[2 * i + 1]!;
    const yaw = Math.abs(yawOf(x, z));
    if (mesh.gridRow[i] === mesh.rows - 1) sets.boundary!.push(i);
    const leftEar = earRadius(x, y, z, 1) < 1.2, rightEar = earRadius(x, y, z, -1) < 1.2;
    if (leftEar) sets.left_ear!.push(i);
    if (rightEar) sets.right_ear!.push(i);
    const neck = t >= 12.4;
    if (neck) sets.neck!.push(i);
    const face = !neck && !leftEar && !rightEar && t >= 2.3 && t <= 11.6 && yaw < 1.1 && y < 0.088;
    if (face) sets.face!.push(i);
    if (face && y > 0.054) sets.forehead!.push(i);
    if (z > 0.04) {
      const le = ellipseRadius(x, y, A.eyeCenter[0], A.eyeCenter[1] + 0.003, 0.027, 0.02) < 1;
      const re = ellipseRadius(x, y, -A.eyeCenter[0], A.eyeCenter[1] + 0.003, 0.027, 0.02) < 1;
      if (le) sets.left_eye_region!.push(i);
      if (re) sets.right_eye_region!.push(i);
      if (le || re) sets.eye_region!.push(i);
      // nose: widening from the root to the alae
      const f = Math.min(1, Math.max(0, (A.noseRootY + 0.006 - y) / (A.noseRootY + 0.006 - A.noseBaseY)));
      if (y < A.noseRootY + 0.006 && y > A.noseBaseY - 0.005 && Math.abs(x) < 0.008 + 0.015 * f) sets.nose!.push(i);
      if (ellipseRadius(x, y, 0, A.mouthY - 0.0005, 0.031, 0.0135) < 1) sets.lips!.push(i);
    }
    if (!face && !neck && !leftEar && !rightEar && (y > 0.02 || yaw > 1.9)) sets.scalp!.push(i);
  }
  const out: Record<string, Uint32Array> = {};
  for (const [k, v] of Object.entries(sets)) out[k] = Uint32Array.from(v);
  return out;
}
