/**
 * A simple per-vertex albedo for heads in FLAME topology, from the model's regions: skin, redder
 * lips, darker brows and hair, white eyeballs with iris and pupil at the front. Linear RGB in [0,1].
 */
import type { FlameModel } from '../flame/model.js';
import { landmarkPositions } from '../flame/landmarks.js';

export interface AlbedoOptions {
  skin?: [number, number, number];
  lips?: [number, number, number];
  hair?: [number, number, number] | null;
  iris?: [number, number, number];
}

export const ALBEDO_DEFAULTS: Required<AlbedoOptions> = {
  skin: [0.62, 0.42, 0.32],
  lips: [0.55, 0.22, 0.2],
  hair: [0.12, 0.08, 0.06],
  iris: [0.18, 0.28, 0.38],
};

/** colors: Float32Array [V*3]. */
export function headAlbedo(model: FlameModel, options: AlbedoOptions = {}): Float32Array {
  const o = { ...ALBEDO_DEFAULTS, ...options };
  const V = model.numVertices, P = model.vTemplate;
  const out = new Float32Array(V * 3);
  const set = (i: number, c: readonly number[], w = 1) => {
    for (let k = 0; k < 3; k++) out[3 * i + k] = (1 - w) * out[3 * i + k]! + w * c[k]!;
  };
  for (let i = 0; i < V; i++) set(i, o.skin);
  const R = model.regions;
  if (o.hair && R.scalp) for (const i of R.scalp) if (P[3 * i + 1]! > -0.01) set(i, o.hair, 0.85);
  if (R.lips && model.landmarks.full68) {
    // lips: the region's vertices inside the outer lip contour (iBUG 48–59), softened at the border
    const L = landmarkPositions(P, model.faces, model.landmarks.full68);
    let cx = 0, cy = 0, rx = 0, ry = 0;
    for (let k = 48; k < 60; k++) { cx += L[3 * k]! / 12; cy += L[3 * k + 1]! / 12; }
    for (let k = 48; k < 60; k++) { rx = Math.max(rx, Math.abs(L[3 * k]! - cx)); ry = Math.max(ry, Math.abs(L[3 * k + 1]! - cy)); }
    for (const i of R.lips) {
      const r = Math.hypot((P[3 * i]! - cx) / (rx * 1.05), (P[3 * i + 1]! - cy) / (ry * 1.15));
      if (r < 1.2) set(i, o.lips, Math.min(1, Math.max(0, (1.2 - r) / 0.3)));
    }
    // brows: a band along the brow landmark polylines (17–21 and 22–26)
    const segDist = (i: number, a: number, b: number): number => {
      const ax = L[3 * a]!, ay = L[3 * a + 1]!, bx = L[3 * b]!, by = L[3 * b + 1]!;
      const px = P[3 * i]! - ax, py = P[3 * i + 1]! - ay, dx = bx - ax, dy = by - ay;
      const t = Math.min(1, Math.max(0, (px * dx + py * dy) / (dx * dx + dy * dy)));
      return Math.hypot(px - t * dx, py - t * dy);
    };
    for (let i = 0; i < V; i++) {
      if (P[3 * i + 2]! < 0.04) continue;
      let d = Infinity;
      for (const k of [17, 18, 19, 20, 22, 23, 24, 25]) d = Math.min(d, segDist(i, k, k + 1));
      if (d < 0.005) set(i, [0.15, 0.1, 0.08], 0.85 * Math.min(1, (0.005 - d) / 0.002));
    }
  }
  for (const name of ['left_eyeball', 'right_eyeball']) {
    const idx = R[name];
    if (!idx || idx.length === 0) continue;
    let cx = 0, cy = 0, cz = 0, zmax = -Infinity;
    for (const i of idx) { cx += P[3 * i]! / idx.length; cy += P[3 * i + 1]! / idx.length; cz += P[3 * i + 2]! / idx.length; zmax = Math.max(zmax, P[3 * i + 2]!); }
    const radius = zmax - cz;
    for (const i of idx) {
      // angle from the eyeball's front pole
      const c = (P[3 * i + 2]! - cz) / radius;
      set(i, c > 0.97 ? [0.02, 0.02, 0.02] : c > 0.85 ? o.iris : [0.85, 0.83, 0.8]);
    }
  }
  return out;
}
