import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { type Camera, intrinsics } from '../../src/render/camera.js';
import { shIrradiance, type LightRig } from '../../src/render/lights.js';
import { MATERIAL_DEFAULTS, type Material } from '../../src/render/material.js';
import { linearToSrgbFloat, renderView, srgbToLinear, type RenderMesh } from '../../src/render/render-view.js';
import { sampleTexture, textureFromImage } from '../../src/render/texture.js';

// The camera is the world frame (Rt = [I | 0]); a plane at z = 1 faces it. Pixel (i, j) sees the
// world point ((i + ½ − c)/f, (j + ½ − c)/f, 1).
const W = 32, F = 40, C = W / 2;
const camera: Camera = { K: intrinsics(F, W, W), Rt: new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]), width: W, height: W };
const pointAt = (i: number, j: number): [number, number, number] => [(i + 0.5 - C) / F, (j + 0.5 - C) / F, 1];

/** A quad [x0, x1]×[y0, y1] at z = 1, counter-clockwise seen from the camera (normal −Z), UVs u = (x − x0)/(x1 − x0), v = (y1 − y)/(y1 − y0). */
function quad(x0: number, x1: number, y0: number, y1: number, flip = false): RenderMesh {
  const positions = new Float64Array([x0, y0, 1, x1, y0, 1, x1, y1, 1, x0, y1, 1]);
  const faces = flip ? new Uint32Array([0, 1, 2, 0, 2, 3]) : new Uint32Array([0, 2, 1, 0, 3, 2]);
  const uvs = new Float32Array([0, 1, 1, 1, 1, 0, 0, 0]);
  return { positions, faces, uvs, faceUvs: faces.slice() };
}
const full = quad(-1, 1, -1, 1);
const albedoMesh: RenderMesh = { ...full, colors: new Float32Array([0.6, 0.4, 0.3, 0.6, 0.4, 0.3, 0.6, 0.4, 0.3, 0.6, 0.4, 0.3]) };
const matte: Material = { ...MATERIAL_DEFAULTS, tint: [1, 0.9, 1.1] };

function expectPixel(image: Float32Array, p: number, linear: readonly number[], digits = 6): void {
  for (let c = 0; c < 3; c++) expect(image[3 * p + c]).toBeCloseTo(linearToSrgbFloat(linear[c]!), digits);
}

describe('linearToSrgbFloat', () => {
  it('is within 2e-5 of the sRGB transfer function (seed srgb-float-1) and inverts srgbToLinear', () => {
    const rng = new Rng('srgb-float-1');
    const enc = (v: number): number => (v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055);
    for (let k = 0; k < 20000; k++) {
      const v = k < 10000 ? rng.next() : rng.next() * 0.01;
      expect(Math.abs(linearToSrgbFloat(v) - enc(v))).toBeLessThan(2e-5);
    }
    expect([linearToSrgbFloat(-1), linearToSrgbFloat(NaN), linearToSrgbFloat(2), linearToSrgbFloat(0.002)]).toEqual([0, 0, 1, 12.92 * 0.002]);
    for (const s of [0, 0.02, 0.3, 0.77, 1]) expect(linearToSrgbFloat(srgbToLinear(s))).toBeCloseTo(s, 4);
  });
});

describe('renderView shading (plane facing the camera)', () => {
  it('Lambert: ρ·tint·(ambient + c·cos θ) for directional lights, in both diffuse modes', () => {
    const d: [number, number, number] = [0.3, 0.2, 1];
    const cos = 1 / Math.hypot(...d); // n = (0, 0, −1), towards the light = −d/|d|
    const lights: LightRig = { ambient: [0.1, 0.05, 0.02], directional: [{ direction: d, color: [0.7, 0.8, 0.9] }, { direction: [0, 0, -1], color: [5, 5, 5] }], point: [] };
    const expected = [0, 1, 2].map((c) => [0.6, 0.4, 0.3][c]! * matte.tint[c]! * (lights.ambient[c]! + [0.7, 0.8, 0.9][c]! * cos)); // the second light is behind the plane
    for (const diffuse of ['pixel', 'vertex'] as const) {
      const view = renderView(albedoMesh, camera, lights, matte, { diffuse });
      for (let p = 0; p < W * W; p++) expectPixel(view.image, p, expected);
      expect(view.mask.every((m) => m === 1)).toBe(true);
    }
  });

  it('point lights fall off with the squared distance (per-pixel diffuse)', () => {
    const lights: LightRig = { ambient: [0, 0, 0], directional: [], point: [{ position: [0.1, -0.05, 0.5], color: [0.3, 0.2, 0.1] }] };
    const view = renderView(albedoMesh, camera, lights, matte, { diffuse: 'pixel' });
    for (let j = 0; j < W; j += 3) {
      for (let i = 0; i < W; i += 3) {
        const P = pointAt(i, j);
        const l = [0.1 - P[0], -0.05 - P[1], 0.5 - P[2]], d = Math.hypot(l[0]!, l[1]!, l[2]!);
        const irr = (-l[2]! / d) / (d * d);
        expectPixel(view.image, j * W + i, [0, 1, 2].map((c) => [0.6, 0.4, 0.3][c]! * matte.tint[c]! * [0.3, 0.2, 0.1][c]! * irr));
      }
    }
  });

  it('Blinn–Phong: specular·(s+8)/8·c·cos θ·(n·h)^s added, white (reference per pixel)', () => {
    const d: [number, number, number] = [-0.2, 0.1, 1];
    const lights: LightRig = { ambient: [0.02, 0.02, 0.02], directional: [{ direction: d, color: [0.9, 0.9, 0.8] }], point: [] };
    const mat: Material = { tint: [1, 1, 1], specular: 0.3, shininess: 40 };
    const view = renderView(albedoMesh, camera, lights, mat, { diffuse: 'pixel' });
    const len = Math.hypot(...d), l = [-d[0] / len, -d[1] / len, -d[2] / len];
    let peak = 0;
    for (let j = 0; j < W; j++) {
      for (let i = 0; i < W; i++) {
        const P = pointAt(i, j), vl = Math.hypot(...P), v = P.map((x) => -x / vl);
        const h = [l[0]! + v[0]!, l[1]! + v[1]!, l[2]! + v[2]!], hl = Math.hypot(h[0]!, h[1]!, h[2]!);
        const nh = -h[2]! / hl, cos = -l[2]!;
        const spec = nh > Math.pow(1e-4, 1 / 40) ? 0.3 * (48 / 8) * Math.pow(nh, 40) : 0;
        peak = Math.max(peak, spec);
        const col = [0.9, 0.9, 0.8];
        expectPixel(view.image, j * W + i, [0, 1, 2].map((c) => [0.6, 0.4, 0.3][c]! * (0.02 + col[c]! * cos) + col[c]! * cos * spec), 4);
      }
    }
    expect(peak).toBeGreaterThan(0.5); // the highlight is in the picture
  });

  it('an SH environment shows ρ·max(0, E(n))/π', () => {
    const rng = new Rng('render-view-sh');
    const sh = new Float64Array(27).map((_, i) => (i < 3 ? 1 : rng.normal(0, 0.2)));
    const lights: LightRig = { ambient: [0, 0, 0], sh, directional: [], point: [] };
    const view = renderView(albedoMesh, camera, lights, matte);
    const expected = [0, 1, 2].map((c) => [0.6, 0.4, 0.3][c]! * matte.tint[c]! * Math.max(0, shIrradiance(sh, c, 0, 0, -1)) / Math.PI);
    for (let p = 0; p < W * W; p += 7) expectPixel(view.image, p, expected);
  });

  it('looks the texture up through the UVs (v up) and fills the uv map', () => {
    // 4×4 texture with distinct texels
    const data = new Uint8Array(48).map((_, k) => (k * 37 + 11) % 256);
    const texture = textureFromImage({ width: 4, height: 4, channels: 3, data });
    const mesh: RenderMesh = { ...full, texture };
    const lights: LightRig = { ambient: [1, 1, 1], directional: [], point: [] };
    const view = renderView(mesh, camera, lights, MATERIAL_DEFAULTS, { maps: ['uv'] });
    const alb = new Float64Array(3);
    for (let j = 0; j < W; j++) {
      for (let i = 0; i < W; i++) {
        const P = pointAt(i, j), u = (P[0] + 1) / 2, v = (1 - P[1]) / 2, p = j * W + i;
        expect(view.uv![2 * p]).toBeCloseTo(u, 5);
        expect(view.uv![2 * p + 1]).toBeCloseTo(v, 5);
        sampleTexture(alb, 0, texture, u, v);
        expectPixel(view.image, p, Array.from(alb), 4);
      }
    }
  });

  it('fills depth, normal, uv, triangle and mask, with background values outside the mesh', () => {
    const mesh = quad(-0.2, 0.2, -0.1, 0.3);
    const lights: LightRig = { ambient: [0.5, 0.5, 0.5], directional: [], point: [] };
    const view = renderView(mesh, camera, lights, MATERIAL_DEFAULTS, { maps: ['depth', 'normal', 'uv', 'triangle'], background: [0.2, 0.1, 0] });
    let covered = 0;
    for (let j = 0; j < W; j++) {
      for (let i = 0; i < W; i++) {
        const p = j * W + i, [x, y] = pointAt(i, j);
        const inside = x > -0.2 && x < 0.2 && y > -0.1 && y < 0.3;
        const edge = Math.abs(x + 0.2) < 0.02 || Math.abs(x - 0.2) < 0.02 || Math.abs(y + 0.1) < 0.02 || Math.abs(y - 0.3) < 0.02;
        if (edge) continue;
        expect(view.mask[p]).toBe(inside ? 1 : 0);
        if (inside) {
          covered++;
          expect(view.depth![p]).toBeCloseTo(1, 6);
          expect(Array.from(view.normal!.subarray(3 * p, 3 * p + 3))).toEqual([0, 0, -1]);
          expect(view.triangle![p]).toBeGreaterThanOrEqual(0);
          expect(view.uv![2 * p]).toBeCloseTo((x + 0.2) / 0.4, 5);
        } else {
          expect(view.depth![p]).toBe(Infinity);
          expect(Array.from(view.normal!.subarray(3 * p, 3 * p + 3))).toEqual([0, 0, 0]);
          expect(Number.isNaN(view.uv![2 * p])).toBe(true);
          expect(view.triangle![p]).toBe(-1);
          expectPixel(view.image, p, [0.2, 0.1, 0]);
        }
      }
    }
    expect(covered).toBeGreaterThan(40);
  });

  it('lights both sides (two-sided) and culls back faces when asked', () => {
    const lights: LightRig = { ambient: [0.1, 0.1, 0.1], directional: [{ direction: [0, 0, 1], color: [0.5, 0.5, 0.5] }], point: [] };
    const front = renderView(quad(-1, 1, -1, 1), camera, lights, MATERIAL_DEFAULTS, { maps: ['normal'] });
    const back = renderView(quad(-1, 1, -1, 1, true), camera, lights, MATERIAL_DEFAULTS, { maps: ['normal'] });
    expect(back.image).toEqual(front.image);
    expect(back.normal).toEqual(front.normal);
    const culled = renderView(quad(-1, 1, -1, 1, true), camera, lights, MATERIAL_DEFAULTS, { cullBackFaces: true });
    expect(culled.mask.every((m) => m === 0)).toBe(true);
  });

  it('rejects a texture or uv map without UVs, and bad materials', () => {
    const bare: RenderMesh = { positions: full.positions, faces: full.faces };
    const lights: LightRig = { ambient: [1, 1, 1], directional: [], point: [] };
    expect(() => renderView(bare, camera, lights, MATERIAL_DEFAULTS, { maps: ['uv'] })).toThrow(/needs the mesh's UVs/);
    expect(() => renderView({ ...bare, texture: { width: 1, height: 1, data: new Float32Array(3) } }, camera, lights, MATERIAL_DEFAULTS)).toThrow(/texture needs the mesh's UVs/);
    expect(() => renderView(bare, camera, lights, { ...MATERIAL_DEFAULTS, shininess: 0 })).toThrow(/shininess/);
    expect(() => renderView({ ...bare, colors: new Float32Array(3) }, camera, lights, MATERIAL_DEFAULTS)).toThrow(/colors have 3 elements, expected 12/);
  });
});
