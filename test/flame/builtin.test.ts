import { beforeAll, describe, expect, it } from 'vitest';
import { builtinModel, buildBuiltinModel } from '../../src/flame/builtin/index.js';
import { FlameEvaluator, lbs } from '../../src/flame/lbs.js';
import { landmarkPositions, contourForBin, contourBin } from '../../src/flame/landmarks.js';
import type { FlameModel } from '../../src/flame/model.js';
import { matmul } from '../../src/kernels/matmul.js';
import { hashBytes } from '../../src/util/hash.js';

let m: FlameModel;
beforeAll(async () => { m = await builtinModel(); });

const vec = (a: Float64Array, i: number) => [a[3 * i]!, a[3 * i + 1]!, a[3 * i + 2]!];
const regionMax = (d: Float64Array, idx: ArrayLike<number>) => {
  let mx = 0;
  for (let k = 0; k < idx.length; k++) { const i = idx[k]!; mx = Math.max(mx, Math.hypot(d[3 * i]!, d[3 * i + 1]!, d[3 * i + 2]!)); }
  return mx;
};
const column = (dirs: Float64Array, K: number, l: number, V: number) => {
  const out = new Float64Array(V * 3);
  for (let r = 0; r < V * 3; r++) out[r] = dirs[r * K + l]!;
  return out;
};

describe('built-in head model', () => {
  it('has FLAME structure and size: ~5000 vertices, 300 + 100 components, 5 joints, head-sized in metres', () => {
    expect(m.numVertices).toBeGreaterThan(4500);
    expect(m.numVertices).toBeLessThan(5500);
    expect(m.numShape).toBe(300);
    expect(m.numExpr).toBe(100);
    expect(m.parents).toEqual(Int32Array.from([-1, 0, 1, 1, 1]));
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < m.numVertices; i++) for (let k = 0; k < 3; k++) { lo[k] = Math.min(lo[k]!, m.vTemplate[3 * i + k]!); hi[k] = Math.max(hi[k]!, m.vTemplate[3 * i + k]!); }
    expect(hi[0]! - lo[0]!).toBeGreaterThan(0.14); // ear to ear
    expect(hi[0]! - lo[0]!).toBeLessThan(0.22);
    expect(hi[1]! - lo[1]!).toBeGreaterThan(0.25); // crown to neck base
    expect(hi[1]! - lo[1]!).toBeLessThan(0.4);
    expect(hi[2]! - lo[2]!).toBeGreaterThan(0.18); // back of head to nose tip
    expect(hi[2]! - lo[2]!).toBeLessThan(0.26);
  });

  it('has skinning weights and joint regressor rows that sum to one', () => {
    for (let i = 0; i < m.numVertices; i++) {
      let s = 0;
      for (let j = 0; j < 5; j++) { expect(m.weights[5 * i + j]).toBeGreaterThanOrEqual(0); s += m.weights[5 * i + j]!; }
      expect(s).toBeCloseTo(1, 12);
    }
    for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let i = 0; i < m.numVertices; i++) s += m.jRegressor[j * m.numVertices + i]!;
      expect(s).toBeCloseTo(1, 12);
    }
  });

  it('has orthogonal shape and expression components (normalised columns are orthonormal)', async () => {
    for (const [dirs, K] of [[m.shapeDirs, m.numShape], [m.exprDirs, m.numExpr]] as const) {
      const R = m.numVertices * 3;
      const G = await matmul(dirs, dirs, K, R, K, { transA: true });
      for (let a = 0; a < K; a++) {
        expect(G[a * K + a]).toBeGreaterThan(0);
        for (let b = a + 1; b < K; b += 7) {
          const c = G[a * K + b]! / Math.sqrt(G[a * K + a]! * G[b * K + b]!);
          expect(Math.abs(c)).toBeLessThan(1e-9);
        }
      }
    }
  });

  it('opening the jaw moves the chin and lower lip, not the forehead or upper lip', () => {
    const rest = lbs(m, {});
    const open = lbs(m, { pose: [0, 0, 0, 0, 0, 0, 0.3, 0, 0, 0, 0, 0, 0, 0, 0] });
    const d = open.map((v, k) => v - rest[k]!);
    expect(regionMax(d, m.regions.forehead!)).toBe(0);
    expect(regionMax(d, m.regions.scalp!)).toBe(0);
    // lowest face vertex on the midline front = chin
    let chin = -1;
    for (const i of m.regions.face!) if (Math.abs(rest[3 * i]!) < 0.005 && (chin < 0 || rest[3 * i + 1]! < rest[3 * chin + 1]!)) chin = i;
    const dc = vec(d, chin);
    expect(Math.hypot(...dc)).toBeGreaterThan(0.015);
    expect(dc[1]).toBeLessThan(0); // moves down
    // lower lip landmark (iBUG 57) moves down by > 1 cm, upper lip (51) stays
    const L0 = landmarkPositions(rest, m.faces, m.landmarks.full68!);
    const L1 = landmarkPositions(open, m.faces, m.landmarks.full68!);
    expect(L0[3 * 57 + 1]! - L1[3 * 57 + 1]!).toBeGreaterThan(0.01);
    expect(Math.hypot(L1[3 * 51]! - L0[3 * 51]!, L1[3 * 51 + 1]! - L0[3 * 51 + 1]!, L1[3 * 51 + 2]! - L0[3 * 51 + 2]!)).toBeLessThan(1e-4);
  });

  it('has localised expression components: blinks move one eyelid, the smile moves the mouth, not the scalp', () => {
    const V = m.numVertices, E = m.numExpr;
    const blinkL = column(m.exprDirs, E, 5, V), blinkR = column(m.exprDirs, E, 6, V);
    expect(regionMax(blinkL, m.regions.left_eye_region!)).toBeGreaterThan(0.005);
    // Gram–Schmidt against the symmetric brow raise leaks a little to the other side
    expect(regionMax(blinkL, m.regions.right_eye_region!)).toBeLessThan(0.1 * regionMax(blinkL, m.regions.left_eye_region!));
    expect(regionMax(blinkR, m.regions.right_eye_region!)).toBeGreaterThan(0.005);
    expect(regionMax(blinkR, m.regions.left_eye_region!)).toBeLessThan(0.1 * regionMax(blinkR, m.regions.right_eye_region!));
    const smile = column(m.exprDirs, E, 1, V);
    expect(regionMax(smile, m.regions.lips!)).toBeGreaterThan(0.003);
    for (let l = 0; l < 21; l++) {
      const d = column(m.exprDirs, E, l, V);
      expect(regionMax(d, m.regions.scalp!), `expression ${l} moves the scalp`).toBeLessThan(0.0015);
      expect(regionMax(d, m.regions.left_eyeball!), `expression ${l} moves an eyeball`).toBe(0);
    }
  });

  it('has smooth components: neighbouring vertices move alike (unlike noise)', () => {
    // roughness = RMS of d_i − d_j over mesh edges / RMS of d_i over vertices (white noise: √2)
    const F = m.faces;
    const roughness = (d: Float64Array) => {
      let e = 0, n = 0, s = 0;
      for (let f = 0; f < F.length; f += 3) for (let k = 0; k < 3; k++) {
        const a = F[f + k]!, b = F[f + ((k + 1) % 3)]!;
        e += (d[3 * a]! - d[3 * b]!) ** 2 + (d[3 * a + 1]! - d[3 * b + 1]!) ** 2 + (d[3 * a + 2]! - d[3 * b + 2]!) ** 2; n++;
      }
      for (let i = 0; i < d.length; i++) s += d[i]! ** 2;
      return Math.sqrt(e / n) / Math.sqrt(s / (d.length / 3));
    };
    let seed = 1;
    const noise = Float64Array.from({ length: m.numVertices * 3 }, () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 - 0.5; });
    const noiseR = roughness(noise);
    expect(noiseR).toBeGreaterThan(1.3);
    // the named traits and motions are smooth bumps; the broad identity traits are very smooth
    for (let l = 0; l < 20; l++) expect(roughness(column(m.shapeDirs, m.numShape, l, m.numVertices)), `shape ${l}`).toBeLessThan(0.5 * noiseR);
    // (lip motions are sharp across the mouth line, where the lips are separate surfaces)
    for (let l = 0; l < 21; l++) expect(roughness(column(m.exprDirs, m.numExpr, l, m.numVertices)), `expression ${l}`).toBeLessThan(0.65 * noiseR);
    for (let l = 0; l < 3; l++) expect(roughness(column(m.shapeDirs, m.numShape, l, m.numVertices))).toBeLessThan(0.15 * noiseR);
    // random faces (coefficients ~ N(0, 1)) are smooth: the late, rougher components are small
    let g = 5;
    const normal = () => { g = (g * 48271) % 2147483647; const u = g / 2147483647; g = (g * 48271) % 2147483647; return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * g / 2147483647); };
    for (const [dirs, K] of [[m.shapeDirs, m.numShape], [m.exprDirs, m.numExpr]] as const) {
      for (let t = 0; t < 3; t++) {
        const coef = Array.from({ length: K }, normal);
        const d = new Float64Array(m.numVertices * 3);
        for (let r = 0; r < d.length; r++) { let v = 0; for (let l = 0; l < K; l++) v += dirs[r * K + l]! * coef[l]!; d[r] = v; }
        expect(roughness(d)).toBeLessThan((K === m.numShape ? 0.25 : 0.4) * noiseR);
      }
    }
  });

  it('has the FLAME regions, each where it belongs', () => {
    for (const r of ['face', 'lips', 'nose', 'eye_region', 'forehead', 'left_ear', 'right_ear', 'neck', 'scalp', 'left_eyeball', 'right_eyeball', 'boundary']) {
      expect(m.regions[r]!.length, r).toBeGreaterThan(20);
    }
    const mean = (idx: Uint32Array, k: number) => idx.reduce((s, i) => s + m.vTemplate[3 * i + k]!, 0) / idx.length;
    expect(mean(m.regions.left_ear!, 0)).toBeGreaterThan(0.06);
    expect(mean(m.regions.right_ear!, 0)).toBeLessThan(-0.06);
    expect(mean(m.regions.forehead!, 1)).toBeGreaterThan(mean(m.regions.nose!, 1));
    expect(mean(m.regions.nose!, 1)).toBeGreaterThan(mean(m.regions.lips!, 1));
    expect(mean(m.regions.neck!, 1)).toBeLessThan(mean(m.regions.lips!, 1));
    expect(mean(m.regions.scalp!, 2)).toBeLessThan(mean(m.regions.face!, 2));
  });

  it('has 51/68 landmarks on the right features and a yaw-dependent contour', () => {
    const L = landmarkPositions(m.vTemplate, m.faces, m.landmarks.full68!);
    const p = (k: number) => [L[3 * k]!, L[3 * k + 1]!, L[3 * k + 2]!];
    // nose tip (30) is the most forward landmark
    for (let k = 0; k < 68; k++) if (k !== 30) expect(p(k)[2]).toBeLessThan(p(30)[2]!);
    // eyes: 36–41 on the subject's right (−X), 42–47 on the left; mouth corners 48/54 symmetric
    for (let k = 36; k < 42; k++) expect(p(k)[0]).toBeLessThan(-0.01);
    for (let k = 42; k < 48; k++) expect(p(k)[0]).toBeGreaterThan(0.01);
    expect(p(48)[0]! + p(54)[0]!).toBeCloseTo(0, 3);
    // contour runs from the right side (0) through the chin (8) to the left side (16), symmetric
    expect(p(0)[0]).toBeLessThan(-0.05);
    expect(p(16)[0]).toBeGreaterThan(0.05);
    expect(p(8)[1]).toBeLessThan(p(57)[1]!);
    for (let k = 0; k < 8; k++) expect(p(k)[0]! + p(16 - k)[0]!).toBeCloseTo(0, 2);
    expect(m.landmarks.static51!.faceIdx).toEqual(m.landmarks.full68!.faceIdx.slice(17));
    // bin of angle 0 is the frontal contour; turning the head moves the far side's contour forward
    const dyn = m.landmarks.dynamic!;
    expect(dyn.bins).toBe(79);
    expect(contourForBin(dyn, contourBin(0)).faceIdx).toEqual(m.landmarks.full68!.faceIdx.slice(0, 17));
    const turned = landmarkPositions(m.vTemplate, m.faces, contourForBin(dyn, contourBin(30)));
    const front = landmarkPositions(m.vTemplate, m.faces, contourForBin(dyn, contourBin(0)));
    const moved = [0, 2, 14, 16].map((k) => turned[3 * k + 2]! - front[3 * k + 2]!);
    expect(Math.max(...moved)).toBeGreaterThan(0.005);
  });

  it('has UVs with separate vt/ft: a seam, every index in range, no flipped UV triangles', () => {
    const U = m.uvs!.length / 2;
    expect(U).toBeGreaterThan(m.numVertices);
    let flipped = 0;
    for (let f = 0; f < m.faceUvs!.length / 3; f++) {
      const [a, b, c] = [m.faceUvs![3 * f]!, m.faceUvs![3 * f + 1]!, m.faceUvs![3 * f + 2]!];
      for (const i of [a, b, c]) expect(i).toBeLessThan(U);
      const ux = m.uvs![2 * b]! - m.uvs![2 * a]!, uy = m.uvs![2 * b + 1]! - m.uvs![2 * a + 1]!;
      const vx = m.uvs![2 * c]! - m.uvs![2 * a]!, vy = m.uvs![2 * c + 1]! - m.uvs![2 * a + 1]!;
      if (ux * vy - uy * vx <= 0) flipped++;
    }
    expect(flipped).toBe(0);
    for (let k = 0; k < m.uvs!.length; k++) { expect(m.uvs![k]).toBeGreaterThanOrEqual(0); expect(m.uvs![k]).toBeLessThanOrEqual(1); }
  });

  it('is deterministic: a fresh build gives byte-identical arrays', async () => {
    const again = await buildBuiltinModel(30, 10);
    const first = await builtinModel({ shape: 30, expr: 10 });
    expect(hashBytes(new Uint8Array(again.shapeDirs.buffer))).toBe(hashBytes(new Uint8Array(first.shapeDirs.buffer)));
    expect(hashBytes(new Uint8Array(again.exprDirs.buffer))).toBe(hashBytes(new Uint8Array(first.exprDirs.buffer)));
    expect(hashBytes(new Uint8Array(again.vTemplate.buffer))).toBe(hashBytes(new Uint8Array(m.vTemplate.buffer)));
  });

  it('evaluates random identities to heads of plausible size (seed 11)', () => {
    const ev = new FlameEvaluator(m);
    let seed = 11;
    const rnd = () => { seed = (seed * 48271) % 2147483647; const u = seed / 2147483647, v = ((seed = (seed * 48271) % 2147483647) / 2147483647); return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v); };
    for (let t = 0; t < 5; t++) {
      const v = ev.evaluateParams({ shape: Array.from({ length: 300 }, rnd), expr: Array.from({ length: 100 }, rnd) });
      let maxd = 0;
      for (let k = 0; k < v.length; k++) maxd = Math.max(maxd, Math.abs(v[k]! - m.vTemplate[k]!));
      expect(maxd).toBeGreaterThan(0.002);
      expect(maxd).toBeLessThan(0.04);
    }
  });
});
