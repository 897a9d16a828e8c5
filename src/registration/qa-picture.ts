/**
 * The QA picture of a registration: the scan (grey) and the registration coloured by its distance
 * to the scan (blue 0 → red ≥ `maxMm`), side by side, seen from the front of the fitted head.
 * Rendered in model space (metres), where the head looks along +Z.
 */
import { renderView, type RenderMesh } from '../render/render-view.js';
import { lookAtRt, intrinsics } from '../render/camera.js';
import type { LightRig } from '../render/lights.js';
import { MATERIAL_DEFAULTS } from '../render/material.js';
import type { Image } from '../io/image.js';

const LIGHTS: LightRig = {
  ambient: [0.25, 0.25, 0.25],
  directional: [
    { direction: [0.4, -0.5, -0.75], color: [0.9, 0.9, 0.9] },
    { direction: [-0.6, -0.1, -0.7], color: [0.3, 0.3, 0.3] },
  ],
  point: [],
};

/** Blue → cyan → green → yellow → red for t in [0, 1]. */
export function heatColor(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 1)) * 4;
  const stops: Array<[number, number, number]> = [[0.1, 0.2, 0.9], [0.1, 0.8, 0.9], [0.2, 0.85, 0.2], [0.95, 0.85, 0.1], [0.9, 0.1, 0.1]];
  const i = Math.min(3, Math.floor(x)), f = x - i, a = stops[i]!, b = stops[i + 1]!;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export interface QaInput {
  /** Model-space (metres) scan and registration. */
  scanPositions: Float64Array;
  scanFaces: Uint32Array;
  registration: Float64Array;
  faces: Uint32Array;
  /** Per registration vertex distance to the scan, mm (NaN: none). */
  distanceMm: Float32Array;
  /** Centre of the face (model space) the camera looks at. */
  target: [number, number, number];
  maxMm?: number;
  size?: number;
}

export function qaPicture(q: QaInput): Image {
  const S = q.size ?? 384, maxMm = q.maxMm ?? 2;
  const eye: [number, number, number] = [q.target[0], q.target[1] + 0.02, q.target[2] + 0.55];
  const camera = { K: intrinsics(S * 2.2, S, S), Rt: lookAtRt(eye, q.target, [0, 1, 0]), width: S, height: S };
  const grey = new Float64Array(q.scanPositions.length).fill(0.7);
  const scan: RenderMesh = { positions: q.scanPositions, faces: q.scanFaces, colors: grey };
  const colors = new Float64Array(q.registration.length);
  for (let i = 0; i < q.distanceMm.length; i++) colors.set(heatColor(q.distanceMm[i]! / maxMm), 3 * i);
  const reg: RenderMesh = { positions: q.registration, faces: q.faces, colors };
  const background: [number, number, number] = [0.08, 0.08, 0.1];
  const a = renderView(scan, camera, LIGHTS, MATERIAL_DEFAULTS, { background });
  const b = renderView(reg, camera, LIGHTS, MATERIAL_DEFAULTS, { background });
  const W = 2 * S, out = new Uint8Array(W * S * 3);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      for (let c = 0; c < 3; c++) {
        out[3 * (y * W + x) + c] = Math.round(255 * a.image[3 * (y * S + x) + c]!);
        out[3 * (y * W + S + x) + c] = Math.round(255 * b.image[3 * (y * S + x) + c]!);
      }
    }
  }
  // colour bar along the bottom of the right panel: 0 → maxMm
  for (let y = S - 10; y < S - 4; y++) {
    for (let x = 8; x < S - 8; x++) {
      const rgb = heatColor((x - 8) / (S - 16));
      for (let c = 0; c < 3; c++) out[3 * (y * W + S + x) + c] = Math.round(255 * rgb[c]!);
    }
  }
  return { width: W, height: S, channels: 3, data: out };
}
