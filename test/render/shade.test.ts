import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { type Camera, computeVertexNormals, DEFAULT_ALBEDO, intrinsics, type Lights, linearToSrgb8, lookAtRt, rasterize, shadeLambert } from '../../src/render/index.js';

/** sRGB transfer function (IEC 61966-2-1), the direct formula. */
function encode(v: number): number {
  const c = Math.min(1, Math.max(0, v));
  return c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055;
}

describe('computeVertexNormals', () => {
  it('weights face normals by area (hand example) and leaves unused vertices at zero', () => {
    // vertex 0 is shared by a triangle of area 2 with normal +Z and one of area 0.5 with normal +Y:
    // Σ 2·area·n = (0, 1, 4), so its normal is (0, 1, 4)/√17
    const positions = new Float64Array([0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 1, 0, 0, 5, 5, 5]);
    const faces = new Uint32Array([0, 1, 2, 0, 3, 4]);
    const out = computeVertexNormals(new Float32Array(18), positions, faces);
    expect(out).toBeInstanceOf(Float32Array);
    const s = 1 / Math.sqrt(17);
    const expected = [0, s, 4 * s, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0];
    for (let i = 0; i < 18; i++) expect(out[i]).toBeCloseTo(expected[i]!, 6);
  });

  it('gives radial normals on an icosahedron (symmetry) and flips with the winding', () => {
    const t = (1 + Math.sqrt(5)) / 2;
    const positions = new Float64Array([-1, t, 0, 1, t, 0, -1, -t, 0, 1, -t, 0, 0, -1, t, 0, 1, t, 0, -1, -t, 0, 1, -t, t, 0, -1, t, 0, 1, -t, 0, -1, -t, 0, 1]);
    const faces = new Uint32Array([0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11, 1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8, 3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9, 4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1]);
    const n = computeVertexNormals(new Float64Array(36), positions, faces);
    const r = Math.hypot(1, t);
    for (let v = 0; v < 12; v++) for (let k = 0; k < 3; k++) expect(n[3 * v + k]).toBeCloseTo(positions[3 * v + k]! / r, 12);
    const flipped = faces.slice();
    for (let f = 0; f < 20; f++) [flipped[3 * f + 1], flipped[3 * f + 2]] = [faces[3 * f + 2]!, faces[3 * f + 1]!];
    const m = computeVertexNormals(new Float64Array(36), positions, flipped);
    for (let i = 0; i < 36; i++) expect(m[i]).toBeCloseTo(-n[i]!, 12);
  });

  it('rejects faces that name missing vertices', () => {
    expect(() => computeVertexNormals(new Float64Array(9), new Float64Array(9), new Uint32Array([0, 1, 3]))).toThrow(/refers to vertex 3, but there are 3/);
  });
});

describe('linearToSrgb8', () => {
  it('encodes known values', () => {
    expect([0, 1, 0.5, 0.18, 0.0031308, -1, 2, NaN].map(linearToSrgb8)).toEqual([0, 255, 188, 118, 10, 0, 255, 0]);
  });

  it('equals round(255 · encode(v)) of the direct formula (seed shade-srgb-1)', () => {
    const rng = new Rng('shade-srgb-1');
    for (let i = 0; i < 100_000; i++) {
      const v = i < 50_000 ? rng.next() : rng.next() * 0.01; // dense near 0, where the curve is steep
      expect(linearToSrgb8(v)).toBe(Math.round(255 * encode(v)));
    }
    // every code's own decoded value encodes back to it
    for (let k = 0; k <= 255; k++) {
      const s = k / 255;
      expect(linearToSrgb8(s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4))).toBe(k);
    }
  });
});

describe('shadeLambert', () => {
  // a 1×1 m square in the plane z = 0 facing +Z, seen from (0, 0, 2); 24×24 image, the square covers the middle
  const camera: Camera = { K: intrinsics(24, 24, 24), Rt: lookAtRt([0, 0, 2], [0, 0, 0], [0, 1, 0]), width: 24, height: 24 };
  const positions = new Float64Array([-0.5, -0.5, 0, 0.5, -0.5, 0, 0.5, 0.5, 0, -0.5, 0.5, 0]);
  const front = new Uint32Array([0, 1, 2, 0, 2, 3]);
  const back = new Uint32Array([0, 2, 1, 0, 3, 2]);

  it('lights a grey surface with ambient plus cos-weighted directional lights, and fills the background', () => {
    const lights: Lights = {
      ambient: [0.1, 0.1, 0.1],
      directional: [
        { direction: [0, 0, -3], color: [0.8, 0.6, 0.4] }, // head-on: cos 1 (direction need not be unit)
        { direction: [0, -Math.sin(Math.PI / 3), -Math.cos(Math.PI / 3)], color: [0.2, 0.2, 0.2] }, // cos 0.5
        { direction: [0, 0, 1], color: [5, 5, 5] }, // from behind: adds nothing
      ],
    };
    const raster = rasterize(positions, front, camera, { cullBackFaces: true });
    const normals = computeVertexNormals(new Float64Array(12), positions, front);
    const image = shadeLambert(raster, positions, front, normals, undefined, lights, camera, [0.2, 0, 1]);
    expect(image).toBeInstanceOf(Uint8Array);
    expect(image.length).toBe(24 * 24 * 3);
    const lit = [0.1 + 0.8 + 0.1, 0.1 + 0.6 + 0.1, 0.1 + 0.4 + 0.1].map((e) => linearToSrgb8(DEFAULT_ALBEDO * e));
    const bg = [linearToSrgb8(0.2), 0, 255];
    let covered = 0;
    for (let p = 0; p < 24 * 24; p++) {
      const px = Array.from(image.subarray(3 * p, 3 * p + 3));
      if (raster.triangle[p]! >= 0) { covered++; expect(px).toEqual(lit); } else expect(px).toEqual(bg);
    }
    expect(covered).toBe(12 * 12); // the square spans pixels 6..17 in both directions
  });

  it('shades the back side like the front (two-sided) when back faces are drawn', () => {
    const lights: Lights = { ambient: [0.05, 0.05, 0.05], directional: [{ direction: [0.3, -0.2, -1], color: [0.9, 0.9, 0.9] }] };
    const imgFront = shadeLambert(rasterize(positions, front, camera), positions, front, computeVertexNormals(new Float64Array(12), positions, front), undefined, lights, camera);
    const imgBack = shadeLambert(rasterize(positions, back, camera), positions, back, computeVertexNormals(new Float64Array(12), positions, back), undefined, lights, camera);
    expect(Buffer.from(imgBack).equals(Buffer.from(imgFront))).toBe(true);
    expect(imgFront.some((x) => x > 100)).toBe(true);
  });

  it('interpolates vertex colours and normals with the barycentrics and renormalises the normal (seed shade-interp-1)', () => {
    const rng = new Rng('shade-interp-1');
    const colors = new Float64Array(12).map(() => rng.uniform(0.1, 1));
    // tilted vertex normals (not unit length on purpose)
    const normals = new Float64Array([0.3, 0.1, 1, -0.2, 0.2, 1.5, 0.1, -0.3, 0.8, -0.4, -0.1, 1.2]);
    const lights: Lights = { ambient: [0.02, 0.03, 0.04], directional: [{ direction: [0.2, 0.1, -1], color: [0.7, 0.8, 0.9] }] };
    const raster = rasterize(positions, front, camera, { cullBackFaces: true });
    const image = shadeLambert(raster, positions, front, normals, colors, lights, camera);
    const L = [-0.2, -0.1, 1].map((x) => x / Math.hypot(0.2, 0.1, 1));
    let checked = 0;
    for (let p = 0; p < 24 * 24; p++) {
      const t = raster.triangle[p]!;
      if (t < 0) continue;
      const b = [0, 1, 2].map((k) => raster.bary[3 * p + k]!), v = [0, 1, 2].map((k) => front[3 * t + k]!);
      const n = [0, 1, 2].map((c) => b[0]! * normals[3 * v[0]! + c]! + b[1]! * normals[3 * v[1]! + c]! + b[2]! * normals[3 * v[2]! + c]!);
      const len = Math.hypot(n[0]!, n[1]!, n[2]!);
      const cos = Math.max(0, (n[0]! * L[0]! + n[1]! * L[1]! + n[2]! * L[2]!) / len);
      for (let c = 0; c < 3; c++) {
        const albedo = b[0]! * colors[3 * v[0]! + c]! + b[1]! * colors[3 * v[1]! + c]! + b[2]! * colors[3 * v[2]! + c]!;
        const expected = 255 * encode(albedo * (lights.ambient[c]! + cos * lights.directional[0]!.color[c]!));
        expect(Math.abs(image[3 * p + c]! - expected)).toBeLessThanOrEqual(0.5 + 1e-6);
      }
      checked++;
    }
    expect(checked).toBe(144);
  });

  it('rejects colours and normals of the wrong length', () => {
    const raster = rasterize(positions, front, camera);
    const lights: Lights = { ambient: [0, 0, 0], directional: [] };
    expect(() => shadeLambert(raster, positions, front, new Float64Array(9), undefined, lights, camera)).toThrow(/normals have 9 elements, expected 12/);
    expect(() => shadeLambert(raster, positions, front, new Float64Array(12), new Float64Array(3), lights, camera)).toThrow(/colors have 3 elements, expected 12/);
  });
});
