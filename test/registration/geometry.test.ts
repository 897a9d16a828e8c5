import { describe, it, expect } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { ScanSurface, boundaryVertices } from '../../src/registration/scan-surface.js';
import { alignLandmarks, guessUnit, scanToModel, modelToScan } from '../../src/registration/align.js';
import { meshGraph, applyLaplacian, applyLaplacianT, conjugateGradient, fitOffsets } from '../../src/registration/nonrigid.js';
import { PointsTerm } from '../../src/fit/terms/points.js';
import { rodrigues } from '../../src/flame/rotation.js';

/** A w×h grid in the z = 0 plane (spacing s), triangles counter-clockwise seen from +z. */
function grid(w: number, h: number, s = 1): { positions: Float64Array; faces: Uint32Array } {
  const positions = new Float64Array(w * h * 3), faces: number[] = [];
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) positions.set([i * s, j * s, 0], 3 * (j * w + i));
  for (let j = 0; j + 1 < h; j++) for (let i = 0; i + 1 < w; i++) {
    const a = j * w + i, b = a + 1, c = a + w, d = c + 1;
    faces.push(a, b, d, a, d, c);
  }
  return { positions, faces: Uint32Array.from(faces) };
}

/** Brute-force closest point on triangles (for comparison). */
function bruteClosest(P: Float64Array, F: Uint32Array, q: number[]): number {
  let best = Infinity;
  const sub = (a: number[], b: number[]) => [a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!];
  const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  for (let f = 0; f < F.length; f += 3) {
    const A = [...P.subarray(3 * F[f]!, 3 * F[f]! + 3)], B = [...P.subarray(3 * F[f + 1]!, 3 * F[f + 1]! + 3)], C = [...P.subarray(3 * F[f + 2]!, 3 * F[f + 2]! + 3)];
    // sample the triangle densely: enough for a 1e-3 comparison on small triangles
    const n = 60;
    for (let u = 0; u <= n; u++) for (let v = 0; u + v <= n; v++) {
      const a = u / n, b = v / n, p = [0, 1, 2].map((k) => A[k]! + a * (B[k]! - A[k]!) + b * (C[k]! - A[k]!));
      const d = sub(p, q);
      best = Math.min(best, Math.sqrt(dot(d, d)));
    }
  }
  return best;
}

describe('ScanSurface', () => {
  it('finds closest points (three-mesh-bvh) as brute force does, with interpolated normals and face ids in its own order', () => {
    const rng = new Rng('surface');
    const g = grid(6, 5);
    for (let i = 0; i < g.positions.length / 3; i++) g.positions[3 * i + 2] = 0.3 * Math.sin(g.positions[3 * i]!) * Math.cos(0.7 * g.positions[3 * i + 1]!);
    const s = new ScanSurface(g.positions, g.faces);
    const q = Array.from({ length: 12 }, () => [rng.uniform(0, 5), rng.uniform(0, 4), rng.uniform(-1, 1)]);
    const hits = s.closestPoints(q.flat());
    q.forEach((p, k) => {
      expect(hits.distance[k]!).toBeCloseTo(bruteClosest(g.positions, g.faces, p), 2);
      // the returned point lies on the returned face (its own triangle order)
      const f = hits.face[k]!, F = s.faces;
      const n = [0, 1, 2].map((c) => hits.normals[3 * k + c]!);
      expect(Math.hypot(...n)).toBeCloseTo(1, 6);
      const a = [...s.positions.subarray(3 * F[3 * f]!, 3 * F[3 * f]! + 3)];
      const fn = s.faceNormalDot(f, [0, 0, 1]);
      expect(fn).toBeGreaterThan(0); // faces up
      const d = [0, 1, 2].map((c) => hits.points[3 * k + c]! - a[c]!);
      // in the triangle's plane: orthogonal to its normal (the face normal via faceNormalDot along d is ~0)
      expect(Math.abs(s.faceNormalDot(f, d))).toBeLessThan(1e-6); // the BVH holds float32 positions
    });
    // beyond the reach: face −1
    const far = s.closestPoints([2, 2, 50], 1);
    expect(far.face[0]).toBe(-1);
  });

  it('detects border vertices, casts rays and turns inward-facing scans outward', () => {
    const g = grid(4, 4);
    const b = boundaryVertices(16, g.faces);
    expect(Array.from(b)).toEqual([1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    const s = new ScanSurface(g.positions, g.faces);
    const hit = s.raycast([1.5, 1.2, 5], [0, 0, -1]);
    expect(hit).not.toBeNull();
    expect(hit![2]).toBeCloseTo(0, 9);
    expect(hit![0]).toBeCloseTo(1.5, 9);
    expect(s.raycast([1.5, 1.2, 5], [0, 0, 1])).toBeNull();
    // the same grid with reversed winding, probed by an upward-facing "model"
    const rev = Uint32Array.from(g.faces);
    for (let f = 0; f < rev.length; f += 3) { const t = rev[f + 1]!; rev[f + 1] = rev[f + 2]!; rev[f + 2] = t; }
    const sr = new ScanSurface(g.positions, rev);
    expect(sr.normals[2]).toBeCloseTo(-1, 9);
    const model = Float64Array.from(g.positions, (v, i) => (i % 3 === 2 ? v + 0.1 : v));
    expect(sr.orientOutward(model, g.faces, Uint32Array.from({ length: 16 }, (_, i) => i), 1)).toBe(true);
    expect(sr.normals[2]).toBeCloseTo(1, 9);
    expect(s.orientOutward(model, g.faces, Uint32Array.from({ length: 16 }, (_, i) => i), 1)).toBe(false);
  });
});

describe('landmark similarity', () => {
  const rng = new Rng('align');
  const X = Float64Array.from({ length: 3 * 30 }, () => rng.normal(0, 0.05)); // metres
  const R = rodrigues(new Float64Array(9), 0, [0.3, -1.2, 0.5]);
  const apply = (s: number, t: number[]) => {
    const Y = new Float64Array(X.length);
    for (let i = 0; i < 30; i++) for (let a = 0; a < 3; a++) Y[3 * i + a] = s * (R[3 * a]! * X[3 * i]! + R[3 * a + 1]! * X[3 * i + 1]! + R[3 * a + 2]! * X[3 * i + 2]!) + t[a]!;
    return Y;
  };

  it('detects the unit (mm, m, cm) and recovers the rotation at the exact unit scale', () => {
    for (const [s, unit] of [[1000, 'mm'], [1, 'm'], [100, 'cm']] as const) {
      // the head is 6% larger than the model: the unit still comes out exact
      const Y = apply(1.06 * s, [10 * s, -3 * s, 2 * s]);
      const a = alignLandmarks(X, Y);
      expect(a.unit.unit).toBe(unit);
      expect(a.similarity.s).toBe(s);
      expect(a.unit.estimatedScale / s).toBeCloseTo(1.06, 6);
      for (let k = 0; k < 9; k++) expect(a.similarity.R[k]!).toBeCloseTo(R[k]!, 6);
    }
    expect(guessUnit(1003).unit).toBe('mm');
    expect(guessUnit(400).unit).toBe('unknown');
  });

  it('leaves out a wrong landmark (trimmed) and maps points there and back', () => {
    const Y = apply(1000, [5, 6, 7]);
    Y[3 * 4] += 80; // one mis-click, 80 mm off
    const a = alignLandmarks(X, Y);
    expect(a.outliers).toEqual([4]);
    expect(a.rms).toBeLessThan(1e-6);
    const back = scanToModel(a.similarity, Y);
    const again = modelToScan(a.similarity, back);
    for (let k = 0; k < Y.length; k++) expect(again[k]!).toBeCloseTo(Y[k]!, 6);
  });
});

describe('non-rigid offsets', () => {
  it('Lᵀ is the transpose of L (⟨Lx, y⟩ = ⟨x, Lᵀy⟩)', () => {
    const g = grid(5, 4), gr = meshGraph(20, g.faces), rng = new Rng('lap');
    const x = Float64Array.from({ length: 60 }, () => rng.normal()), y = Float64Array.from({ length: 60 }, () => rng.normal());
    const Lx = applyLaplacian(gr, x, new Float64Array(60)), Lty = applyLaplacianT(gr, y, new Float64Array(60));
    let a = 0, b = 0;
    for (let k = 0; k < 60; k++) { a += Lx[k]! * y[k]!; b += x[k]! * Lty[k]!; }
    expect(a).toBeCloseTo(b, 10);
    // constants are in L's null space
    const one = applyLaplacian(gr, new Float64Array(60).fill(2), new Float64Array(60));
    for (const v of one) expect(v).toBeCloseTo(0, 12);
  });

  it('conjugate gradients solve an SPD system', () => {
    const rng = new Rng('cg'), n = 12;
    const M = Float64Array.from({ length: n * n }, () => rng.normal());
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = i === j ? n : 0; for (let k = 0; k < n; k++) s += M[k * n + i]! * M[k * n + j]!; A[i * n + j] = s; }
    const xTrue = Float64Array.from({ length: n }, () => rng.normal());
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i]! += A[i * n + j]! * xTrue[j]!;
    const I = new Float64Array(9 * (n / 3));
    for (let i = 0; i < n / 3; i++) { I[9 * i] = 1; I[9 * i + 4] = 1; I[9 * i + 8] = 1; }
    const x = new Float64Array(n);
    conjugateGradient((v, out) => { for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < n; j++) s += A[i * n + j]! * v[j]!; out[i] = s; } }, I, b, x, 100, 1e-12);
    for (let i = 0; i < n; i++) expect(x[i]!).toBeCloseTo(xTrue[i]!, 8);
  });

  it('moves a mesh onto a parallel surface 0.5 mm away, smoothly, and keeps rigid vertices still', () => {
    const g = grid(12, 12, 0.002); // 2 mm spacing, metres
    const V = 144, graph = meshGraph(V, g.faces);
    const delta = new Float64Array(3 * V);
    const term = new PointsTerm('E_points', 1, { scale: 1e-3 });
    const rigid = new Uint8Array(V);
    rigid[0] = 1;
    const all = Uint32Array.from({ length: V }, (_, i) => i);
    fitOffsets(g.positions, delta, graph, term, rigid, (world) => {
      // the target: the plane z = 0.5 mm (closest points straight up, normals +z)
      const points = new Float64Array(3 * V), normals = new Float64Array(3 * V);
      for (let i = 0; i < V; i++) { points.set([world[3 * i]!, world[3 * i + 1]!, 0.0005], 3 * i); normals[3 * i + 2] = 1; }
      term.targets[0] = { vertices: all, points, normals };
      return V;
    }, { smoothness: [1, 0.3, 0.1], cgIterations: 500, cgTolerance: 1e-10 });
    // interior vertices far from the rigid corner reach the plane within a few µm
    expect(delta[3 * 77 + 2]!).toBeCloseTo(0.0005, 5);
    expect(Math.abs(delta[3 * 77]!)).toBeLessThan(1e-6);
    expect(Math.abs(delta[2]!)).toBeLessThan(0.00005); // the rigid corner stays (nearly) put
  });
});
