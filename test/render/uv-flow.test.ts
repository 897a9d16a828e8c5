import { describe, expect, it } from 'vitest';
import { type Camera, intrinsics, projectWithDepth } from '../../src/render/camera.js';
import { DepthTester } from '../../src/render/ground-truth.js';
import { rasterize } from '../../src/render/rasterize.js';
import { buildUvLayout, sampleBilinear, uvFlowLabels, uvWeightMap } from '../../src/render/uv-flow.js';

const IDENTITY_RT = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);

describe('buildUvLayout', () => {
  // one quad with UVs over [0.25, 0.75]², two triangles
  const uvs = new Float32Array([0.25, 0.25, 0.75, 0.25, 0.75, 0.75, 0.25, 0.75]);
  const faces = new Uint32Array([0, 1, 2, 0, 2, 3]);

  it('covers exactly the texels whose centres the UV triangles cover, with exact barycentrics', () => {
    const L = buildUvLayout(uvs, faces, faces, 4, 8, { gutter: 0 });
    // centres (i + ½)/8 inside [0.25, 0.75]: i = 2..5 → 16 texels
    let covered = 0;
    for (let p = 0; p < 64; p++) {
      const i = p % 8, j = Math.floor(p / 8), inside = i >= 2 && i <= 5 && j >= 2 && j <= 5;
      expect(L.coverage[p]).toBe(inside ? 1 : 0);
      if (!inside) { expect(L.triangle[p]).toBe(-1); continue; }
      covered++;
      const t = L.triangle[p]!, b = L.bary.subarray(3 * p, 3 * p + 3);
      expect(b[0]! + b[1]! + b[2]!).toBeCloseTo(1, 14);
      let x = 0, y = 0;
      for (let k = 0; k < 3; k++) { const c = faces[3 * t + k]!; x += b[k]! * uvs[2 * c]! * 8; y += b[k]! * (1 - uvs[2 * c + 1]!) * 8; }
      expect(x).toBeCloseTo(i + 0.5, 12);
      expect(y).toBeCloseTo(j + 0.5, 12);
      for (let k = 0; k < 3; k++) expect(b[k]).toBeGreaterThanOrEqual(-1e-12);
    }
    expect(covered).toBe(16);
  });

  it('adds gutter rings that continue the nearest face (barycentrics outside [0, 1], still summing to 1)', () => {
    const L = buildUvLayout(uvs, faces, faces, 4, 8, { gutter: 2 });
    let gutter = 0;
    for (let p = 0; p < 64; p++) {
      if (L.coverage[p] !== 2) continue;
      gutter++;
      const b = L.bary.subarray(3 * p, 3 * p + 3), t = L.triangle[p]!;
      expect(Math.min(b[0]!, b[1]!, b[2]!)).toBeLessThan(0);
      expect(b[0]! + b[1]! + b[2]!).toBeCloseTo(1, 12);
      let x = 0;
      for (let k = 0; k < 3; k++) x += b[k]! * uvs[2 * faces[3 * t + k]!]! * 8;
      expect(x).toBeCloseTo((p % 8) + 0.5, 12);
    }
    expect(gutter).toBe(64 - 16); // two rings fill the 8×8 map
  });

  it('gives each vertex the UV of the first corner that uses it (seams: two UVs, the first wins)', () => {
    // two triangles share vertices 1 and 2 but each has its own UVs (a seam between two islands)
    const f = new Uint32Array([0, 1, 2, 1, 3, 2]);
    const ft = new Uint32Array([0, 1, 2, 3, 4, 5]);
    const uv = new Float32Array([0.1, 0.1, 0.4, 0.1, 0.1, 0.4, 0.6, 0.6, 0.9, 0.6, 0.6, 0.9]);
    const L = buildUvLayout(uv, ft, f, 5, 10);
    expect(Array.from(L.vertexUv.subarray(0, 8)).map((x) => Math.round(x * 1e5) / 1e5)).toEqual([1, 9, 4, 9, 1, 6, 9, 4]);
    expect(Number.isNaN(L.vertexUv[8]!)).toBe(true); // vertex 4 is in no face
  });

  it('rejects bad sizes and indices', () => {
    expect(() => buildUvLayout(uvs, faces, faces, 4, 0)).toThrow(/UV size/);
    expect(() => buildUvLayout(uvs, new Uint32Array([0, 1, 9]), new Uint32Array([0, 1, 2]), 4, 8)).toThrow(/refers to uv 9/);
    expect(() => buildUvLayout(uvs, faces, faces, 3, 8)).toThrow(/refers to vertex 3, but there are 3/);
  });
});

describe('uvFlowLabels on a plane facing the camera (exact affine flow)', () => {
  const W = 64, f = 100, D = 16;
  const camera: Camera = { K: intrinsics(f, W, W), Rt: IDENTITY_RT, width: W, height: W };
  // a 5×5 vertex grid over [−0.2, 0.2]² at z = 1; u = 0.2 + 1.25(x + 0.2), v = 0.25 + 1.25(0.2 − y)
  const n = 4, pos: number[] = [], uv: number[] = [], fc: number[] = [];
  for (let j = 0; j <= n; j++) {
    for (let i = 0; i <= n; i++) {
      const x = -0.2 + (0.4 * i) / n, y = -0.2 + (0.4 * j) / n;
      pos.push(x, y, 1);
      uv.push(0.2 + 1.25 * (x + 0.2), 0.25 + 1.25 * (0.2 - y));
    }
  }
  const id = (i: number, j: number): number => j * (n + 1) + i;
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) fc.push(id(i, j), id(i + 1, j + 1), id(i + 1, j), id(i, j), id(i, j + 1), id(i + 1, j + 1));
  const positions = new Float64Array(pos), faces = new Uint32Array(fc), uvs = new Float32Array(uv);
  const V = positions.length / 3;
  // exact μ of the surface point with UV pixel (px, py)
  const muOf = (px: number, py: number): [number, number] => {
    const u = px / D, v = 1 - py / D;
    const x = (u - 0.2) / 1.25 - 0.2, y = 0.2 - (v - 0.25) / 1.25;
    return [f * x + W / 2, f * y + W / 2];
  };
  const raster = rasterize(positions, faces, camera);
  const tester = new DepthTester({ positions, faces, camera, raster });

  it('F(p) = μ(p) − p on covered and gutter texels; valid = covered', () => {
    const L = buildUvLayout(uvs, faces, faces, V, D);
    const out = { flow: new Float32Array(2 * D * D), valid: new Uint8Array(D * D) };
    uvFlowLabels(out, L, positions, faces, camera, tester, true);
    let covered = 0;
    for (let p = 0; p < D * D; p++) {
      const px = (p % D) + 0.5, py = Math.floor(p / D) + 0.5;
      if (L.coverage[p] === 0) { expect([out.flow[2 * p], out.flow[2 * p + 1], out.valid[p]]).toEqual([0, 0, 0]); continue; }
      const [mx, my] = muOf(px, py);
      expect(out.flow[2 * p]).toBeCloseTo(mx - px, 4);
      expect(out.flow[2 * p + 1]).toBeCloseTo(my - py, 4);
      expect(out.valid[p]).toBe(L.coverage[p] === 1 ? 1 : 0);
      if (L.coverage[p] === 1) covered++;
    }
    expect(covered).toBeGreaterThan(20);
  });

  it('bilinear vertex_uv + F(vertex_uv) = μ at every vertex, border ones too, thanks to the gutter', () => {
    const mu = new Float64Array(2 * V);
    projectWithDepth(mu, new Float64Array(V), positions, camera);
    const worst = (gutter: number): number => {
      const L = buildUvLayout(uvs, faces, faces, V, D, { gutter });
      const out = { flow: new Float32Array(2 * D * D), valid: new Uint8Array(D * D) };
      uvFlowLabels(out, L, positions, faces, camera, tester, true);
      let e = 0;
      const s = new Float64Array(2);
      for (let v = 0; v < V; v++) {
        const x = L.vertexUv[2 * v]!, y = L.vertexUv[2 * v + 1]!;
        sampleBilinear(s, 0, out.flow, D, 2, x, y);
        e = Math.max(e, Math.hypot(x + s[0]! - mu[2 * v]!, y + s[1]! - mu[2 * v + 1]!));
      }
      return e;
    };
    expect(worst(2)).toBeLessThan(1e-4);
    expect(worst(0)).toBeGreaterThan(1); // without the gutter, border vertices mix in empty texels
  });

  it('marks texels hidden behind an occluder invalid (depth test against another rendered surface)', () => {
    // a card at z = 0.5 hiding x < 0 of the plane, rendered together with the plane
    const card = [-0.3, -0.3, 0.5, 0, -0.3, 0.5, 0, 0.3, 0.5, -0.3, 0.3, 0.5];
    const scene = new Float64Array([...pos, ...card]);
    const sceneFaces = new Uint32Array([...fc, V, V + 2, V + 1, V, V + 3, V + 2]);
    const r = rasterize(scene, sceneFaces, camera);
    const t = new DepthTester({ positions: scene, faces: sceneFaces, camera, raster: r });
    const L = buildUvLayout(uvs, faces, faces, V, D);
    const out = { flow: new Float32Array(2 * D * D), valid: new Uint8Array(D * D) };
    uvFlowLabels(out, L, positions, faces, camera, t, false);
    let hidden = 0, shown = 0;
    for (let p = 0; p < D * D; p++) {
      if (L.coverage[p] !== 1) continue;
      const [mx] = muOf((p % D) + 0.5, Math.floor(p / D) + 0.5);
      const x = (mx - W / 2) / f; // the point's x on the plane; the card covers x < 0 (seen from the camera: x·0.5 < 0)
      if (x < -0.02) { expect(out.valid[p]).toBe(0); hidden++; }
      if (x > 0.02) { expect(out.valid[p]).toBe(1); shown++; }
    }
    expect(hidden).toBeGreaterThan(5);
    expect(shown).toBeGreaterThan(5);
  });

  it('uvWeightMap takes the weight of the nearest corner', () => {
    const L = buildUvLayout(uvs, faces, faces, V, D);
    const w = new Float32Array(V).fill(0.005);
    w[id(2, 2)] = 1; // the centre vertex
    const map = uvWeightMap(L, faces, w);
    // the centre vertex sits at UV pixel (7.2, 8) (u = 0.45, v = 0.5; vertices are 2 texels apart): the
    // texels with centres (7.5, 7.5) and (7.5, 8.5) are nearest to it
    for (const p of [7 * D + 7, 8 * D + 7]) expect(map[p]).toBe(1);
    expect(map[0]).toBeCloseTo(0.005, 7);
    expect(map[2 * D + 2]).toBeCloseTo(0.005, 7);
  });
});

describe('sampleBilinear', () => {
  it('reproduces a linear map exactly between texel centres and clamps at the border', () => {
    const D = 5, map = new Float64Array(D * D * 2);
    for (let j = 0; j < D; j++) for (let i = 0; i < D; i++) { map[2 * (j * D + i)] = 2 * (i + 0.5) + 1; map[2 * (j * D + i) + 1] = -3 * (j + 0.5); }
    const s = new Float64Array(2);
    for (const [x, y] of [[0.5, 0.5], [1.3, 2.9], [4.5, 4.5], [3.01, 0.77]]) {
      sampleBilinear(s, 0, map, D, 2, x!, y!);
      expect(s[0]).toBeCloseTo(2 * x! + 1, 12);
      expect(s[1]).toBeCloseTo(-3 * y!, 12);
    }
    sampleBilinear(s, 0, map, D, 2, -7, 0.2);
    expect(Array.from(s)).toEqual([2, -1.5]);
  });
});
