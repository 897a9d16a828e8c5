import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { type Camera, intrinsics, lookAtRt, projectPoints } from '../../src/render/camera.js';
import { cropCamera, DepthTester, regionWeights, squareBox, vertexLabels } from '../../src/render/ground-truth.js';
import { rasterize } from '../../src/render/rasterize.js';

const IDENTITY_RT = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);

/** A (n+1)×(n+1) vertex grid over [x0, x1]×[y0, y1] at depth z, faces counter-clockwise seen from the camera at the origin. */
function grid(x0: number, x1: number, y0: number, y1: number, z: number, n: number, base = 0): { positions: number[]; faces: number[] } {
  const positions: number[] = [], faces: number[] = [];
  for (let j = 0; j <= n; j++) for (let i = 0; i <= n; i++) positions.push(x0 + ((x1 - x0) * i) / n, y0 + ((y1 - y0) * j) / n, z);
  const id = (i: number, j: number): number => base + j * (n + 1) + i;
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) faces.push(id(i, j), id(i + 1, j + 1), id(i + 1, j), id(i, j), id(i, j + 1), id(i + 1, j + 1));
  return { positions, faces };
}

describe('squareBox and cropCamera', () => {
  it('squares and enlarges the bounding box of the chosen points', () => {
    const xy = [0, 0, 10, 4, 100, 100, NaN, 3];
    expect(squareBox(xy, [0, 1])).toEqual({ cx: 5, cy: 2, side: 12 });
    expect(squareBox(xy, [0, 1, 3], 0)).toEqual({ cx: 5, cy: 2, side: 10 }); // NaN skipped
    expect(() => squareBox([1, 1, 1, 1])).toThrow(/span no area/);
  });

  it('gives the camera whose image is the box: x\' = s·(x − x0) for every point (seed crop-1)', () => {
    const rng = new Rng('crop-1');
    const wide: Camera = { K: new Float64Array([700, 0.5, 250, 0, 710, 260, 0, 0, 1]), Rt: lookAtRt([0.2, 0.1, 1], [0, 0, 0], [0, 1, 0]), width: 512, height: 512 };
    const pts = new Float64Array(300).map(() => rng.normal(0, 0.1));
    const xy = projectPoints(new Float64Array(200), pts, wide);
    const box = squareBox(xy);
    const crop = cropCamera(wide, box, 256);
    expect(crop.width).toBe(256);
    expect(Array.from(crop.K.subarray(6))).toEqual([0, 0, 1]);
    expect(crop.Rt).toEqual(wide.Rt);
    const xy2 = projectPoints(new Float64Array(200), pts, crop);
    const s = 256 / box.side, x0 = box.cx - box.side / 2, y0 = box.cy - box.side / 2;
    let inside = 0;
    for (let i = 0; i < 100; i++) {
      expect(xy2[2 * i]).toBeCloseTo(s * (xy[2 * i]! - x0), 9);
      expect(xy2[2 * i + 1]).toBeCloseTo(s * (xy[2 * i + 1]! - y0), 9);
      if (xy2[2 * i]! >= 0 && xy2[2 * i]! < 256 && xy2[2 * i + 1]! >= 0 && xy2[2 * i + 1]! < 256) inside++;
    }
    expect(inside).toBe(100); // every point is in the (enlarged) crop
  });
});

describe('vertex visibility', () => {
  // a front card at z = 1 over x ∈ [−0.1, 0.3], in front of a back wall (z = 2, a 20×20 grid of vertices)
  const W = 96, f = 120;
  const camera: Camera = { K: intrinsics(f, W, W), Rt: IDENTITY_RT, width: W, height: W };
  const back = grid(-0.6, 0.6, -0.6, 0.6, 2, 20);
  const card = grid(-0.1, 0.3, -0.2, 0.25, 1, 2, back.positions.length / 3);
  const positions = new Float64Array([...back.positions, ...card.positions]);
  const faces = new Uint32Array([...back.faces, ...card.faces]);
  const V = positions.length / 3, Vb = back.positions.length / 3;
  const raster = rasterize(positions, faces, camera);
  const tester = new DepthTester({ positions, faces, camera, raster });
  const out = { mu: new Float64Array(2 * V), z: new Float64Array(V), visible: new Uint8Array(V) };
  vertexLabels(out, positions, camera, tester, true);

  it('hides exactly the wall vertices behind the card, and those outside the image', () => {
    let hidden = 0, checked = 0;
    for (let v = 0; v < Vb; v++) {
      const x = positions[3 * v]! / 2, y = positions[3 * v + 1]! / 2; // the ray's point at z = 1
      const [mx, my] = [out.mu[2 * v]!, out.mu[2 * v + 1]!];
      const inImage = mx >= 0 && mx < W && my >= 0 && my < W;
      const margin = 1.5 / f; // a pixel and a half from the card's outline: not decided here
      const behind = x > -0.1 + margin && x < 0.3 - margin && y > -0.2 + margin && y < 0.25 - margin;
      const clear = x < -0.1 - margin || x > 0.3 + margin || y < -0.2 - margin || y > 0.25 + margin;
      if (!inImage) { expect(out.visible[v]).toBe(0); continue; }
      if (behind) { expect(out.visible[v]).toBe(0); hidden++; }
      if (clear) expect(out.visible[v]).toBe(1);
      checked++;
    }
    expect(hidden).toBeGreaterThan(10);
    expect(checked).toBeGreaterThan(100);
    for (let v = Vb; v < V; v++) expect(out.visible[v]).toBe(1); // the card's own corners
  });

  it('tests foreign points against the surface shown at mu, within the tolerance on both sides', () => {
    const margin = 1.5 / f;
    // away from the card's outline and inside the wall's (a point on the wall's own outline has background next to it)
    const clearOfCard = (v: number): boolean => {
      const x = positions[3 * v]! / 2, y = positions[3 * v + 1]! / 2;
      const onWall = Math.abs(x) < 0.3 - margin && Math.abs(y) < 0.3 - margin;
      return onWall && (x < -0.1 - margin || x > 0.3 + margin || y < -0.2 - margin || y > 0.25 + margin);
    };
    const pts = Float64Array.from(back.positions);
    const res = { mu: new Float64Array(2 * Vb), z: new Float64Array(Vb), visible: new Uint8Array(Vb) };
    const inImage = (v: number): boolean => res.mu[2 * v]! >= 0 && res.mu[2 * v]! < W && res.mu[2 * v + 1]! >= 0 && res.mu[2 * v + 1]! < W;
    const verdicts = (dz: number, t: DepthTester): Uint8Array => {
      for (let v = 0; v < Vb; v++) pts[3 * v + 2] = 2 + dz;
      vertexLabels(res, pts, camera, t, false);
      return res.visible.slice();
    };
    let checked = 0;
    // 0.5 mm off the wall, either side: on the surface within 1 mm → the wall's own verdicts
    for (const dz of [-5e-4, 5e-4]) {
      const vis = verdicts(dz, tester);
      for (let v = 0; v < Vb; v++) if (clearOfCard(v) && inImage(v)) { expect(vis[v]).toBe(out.visible[v]); checked++; }
    }
    expect(checked).toBeGreaterThan(200);
    // 5 mm behind (hidden by the wall) or 5 mm in front (not the surface drawn there): not visible
    for (const dz of [5e-3, -5e-3]) {
      const vis = verdicts(dz, tester);
      for (let v = 0; v < Vb; v++) expect(vis[v]).toBe(0);
    }
    // ... and visible again with a 1 cm tolerance where the wall itself shows
    const lenient = new DepthTester({ positions, faces, camera, raster }, { tolerance: 0.01 });
    const vis = verdicts(5e-3, lenient);
    let shown = 0;
    for (let v = 0; v < Vb; v++) if (clearOfCard(v) && inImage(v) && res.mu[2 * v]! >= 1 && res.mu[2 * v]! < W - 1 && res.mu[2 * v + 1]! >= 1 && res.mu[2 * v + 1]! < W - 1) { expect(vis[v]).toBe(1); shown++; }
    expect(shown).toBeGreaterThan(100);
    // a point over the background (nothing drawn at mu) is not visible
    const tri = new Float64Array([-0.05, -0.05, 1, 0.05, -0.05, 1, 0, 0.05, 1]), triFaces = new Uint32Array([0, 2, 1]);
    const small = new DepthTester({ positions: tri, faces: triFaces, camera, raster: rasterize(tri, triFaces, camera) });
    const one = { mu: new Float64Array(2), z: new Float64Array(1), visible: new Uint8Array(1) };
    vertexLabels(one, new Float64Array([0.1, 0, 1]), camera, small, false);
    expect(one.mu[0]).toBeCloseTo(60, 9); // 48 + 120·0.1: in the image, beside the small triangle
    expect(one.visible[0]).toBe(0);
    vertexLabels(one, new Float64Array([0, 0, 1]), camera, small, false);
    expect(one.visible[0]).toBe(1); // on it
  });

  it('surfaceDepth intersects the triangle plane along the ray exactly', () => {
    const t = raster.triangle[(W / 2) * W + W / 2]!;
    expect(tester.surfaceDepth(t, 48.3, 47.9, NaN)).toBeCloseTo(1, 12);
    // a tilted plane: z = 1 + 0.5·x; the ray through (x_img, y_img) has x = (x_img − c)/f · z
    const tilted = new Float64Array([-1, -1, 0.5, 1, -1, 1.5, 1, 1, 1.5, -1, 1, 0.5]);
    const tf = new Uint32Array([0, 2, 1, 0, 3, 2]);
    const r2 = rasterize(tilted, tf, camera);
    const t2 = new DepthTester({ positions: tilted, faces: tf, camera, raster: r2 });
    for (const xi of [30.2, 48, 60.7]) {
      const a = (xi - W / 2) / f; // x = a·z and z = 1 + 0.5·x → z = 1/(1 − 0.5a)
      expect(t2.surfaceDepth(r2.triangle[48 * W + Math.floor(xi)]!, xi, 48.5, NaN)).toBeCloseTo(1 / (1 - 0.5 * a), 12);
    }
  });
});

describe('regionWeights', () => {
  it('weighs face and ear vertices 1 and the rest 0.005; all 1 without those regions', () => {
    const w = regionWeights(6, { face: [0, 1], left_ear: [4], scalp: [2, 3] });
    expect(Array.from(w)).toEqual([1, 1, 0.005, 0.005, 1, 0.005].map(Math.fround));
    expect(Array.from(regionWeights(3, {}))).toEqual([1, 1, 1]);
    expect(w).toBeInstanceOf(Float32Array);
  });
});
