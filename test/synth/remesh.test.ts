import { describe, it, expect } from 'vitest';
import { buildResampling, edgeCount, jitterResampling, resampledPointCount, resamplePositions, resampleUvs, subdivisionFor, vertexNeighbours } from '../../src/synth/remesh.js';
import { Rng } from '../../src/util/rng.js';

// Two triangles sharing the edge 1–2, in the plane z = 0:
//   v0 (0,0)   v1 (1,0)   v2 (0,1)   v3 (1,1)
const square = {
  positions: Float64Array.of(
    0, 0, 0, // v0
    1, 0, 0, // v1
    0, 1, 0, // v2
    1, 1, 0, // v3
  ),
  faces: Uint32Array.of(0, 1, 2, 1, 3, 2),
};

/** Signed area (z component of (b − a) × (c − a) / 2) of triangle t of a planar mesh. */
function signedArea(pos: Float64Array, faces: Uint32Array, t: number): number {
  const a = faces[3 * t]!, b = faces[3 * t + 1]!, c = faces[3 * t + 2]!;
  return 0.5 * ((pos[3 * b]! - pos[3 * a]!) * (pos[3 * c + 1]! - pos[3 * a + 1]!) - (pos[3 * b + 1]! - pos[3 * a + 1]!) * (pos[3 * c]! - pos[3 * a]!));
}

/** Barycentric coordinates of 2D point p in the triangle (a, b, c) of a planar mesh. */
function bary2(pos: Float64Array, a: number, b: number, c: number, x: number, y: number): [number, number, number] {
  const ax = pos[3 * a]!, ay = pos[3 * a + 1]!, bx = pos[3 * b]!, by = pos[3 * b + 1]!, cx = pos[3 * c]!, cy = pos[3 * c + 1]!;
  const det = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  const wb = ((x - ax) * (cy - ay) - (y - ay) * (cx - ax)) / det, wc = ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / det;
  return [1 - wb - wc, wb, wc];
}

describe('buildResampling', () => {
  it('counts points and triangles as V + (n−1)E + (n−1)(n−2)/2·F and n²F, sharing edge points', () => {
    for (const n of [1, 2, 3, 5]) {
      const r = buildResampling(square.faces, 4, n);
      expect(r.points).toBe(resampledPointCount(4, 5, 2, n));
      expect(r.faces.length / 3).toBe(2 * n * n);
      expect(r.parent.length).toBe(2 * n * n);
      // every point is used, weights sum to 1
      const used = new Uint8Array(r.points);
      for (const p of r.faces) used[p] = 1;
      expect(used.every((u) => u === 1)).toBe(true);
      for (let p = 0; p < r.points; p++) expect(r.weights[3 * p]! + r.weights[3 * p + 1]! + r.weights[3 * p + 2]!).toBeCloseTo(1, 14);
    }
    expect(edgeCount(square.faces)).toBe(5);
  });

  it('tiles each parent triangle exactly: same orientation, areas summing to the parent area, points inside the parent', () => {
    const n = 4;
    const r = buildResampling(square.faces, 4, n);
    const pts = resamplePositions(new Float64Array(3 * r.points), r.verts, r.weights, square.positions);
    const area = [0, 0];
    for (let t = 0; t < r.faces.length / 3; t++) {
      const A = signedArea(pts, r.faces, t);
      expect(A).toBeCloseTo(0.5 / (n * n), 12); // each parent has area 1/2, all sub-triangles equal
      area[r.parent[t]!]! += A;
      const g = r.parent[t]!;
      for (let k = 0; k < 3; k++) {
        const p = r.faces[3 * t + k]!;
        const w = bary2(square.positions, square.faces[3 * g]!, square.faces[3 * g + 1]!, square.faces[3 * g + 2]!, pts[3 * p]!, pts[3 * p + 1]!);
        for (const x of w) expect(x).toBeGreaterThanOrEqual(-1e-12);
      }
    }
    expect(area[0]).toBeCloseTo(0.5, 12);
    expect(area[1]).toBeCloseTo(0.5, 12);
    // the unjittered grid: the shared edge 1–2 has n − 1 inner points, on the line x + y = 1
    const onEdge = Array.from({ length: r.points }, (_, p) => p).filter((p) => r.kind[p] === 2 && Math.abs(pts[3 * p]! + pts[3 * p + 1]! - 1) < 1e-12);
    expect(onEdge.length).toBe(n - 1);
  });

  it('rejects a bad subdivision', () => {
    expect(() => buildResampling(square.faces, 4, 0)).toThrow(/subdivision/);
    expect(() => buildResampling(square.faces, 4, 2.5)).toThrow(/subdivision/);
  });
});

describe('jitterResampling', () => {
  for (const seed of [1, 2, 3]) {
    it(`keeps every point on the surface, moves every point off the original vertices, flips no triangle (seed ${seed})`, () => {
      const n = 5;
      const r = buildResampling(square.faces, 4, n);
      const j = jitterResampling(r, vertexNeighbours(square.faces, 4), new Rng(`jitter-${seed}`), 0.2);
      const pts = resamplePositions(new Float64Array(3 * r.points), j.verts, j.weights, square.positions);
      for (let p = 0; p < r.points; p++) {
        // inside the unit square (the surface) and in the plane
        expect(pts[3 * p]!).toBeGreaterThanOrEqual(-1e-12);
        expect(pts[3 * p]!).toBeLessThanOrEqual(1 + 1e-12);
        expect(pts[3 * p + 1]!).toBeGreaterThanOrEqual(-1e-12);
        expect(pts[3 * p + 1]!).toBeLessThanOrEqual(1 + 1e-12);
        expect(pts[3 * p + 2]).toBe(0);
        // at least 0.12 of a grid step (edge 1 or √2) from every original vertex
        for (let v = 0; v < 4; v++) {
          const d = Math.hypot(pts[3 * p]! - square.positions[3 * v]!, pts[3 * p + 1]! - square.positions[3 * v + 1]!);
          expect(d).toBeGreaterThan(0.119 / n);
        }
        // weights stay non-negative (the point stays in its triangle or on its edge)
        for (let k = 0; k < 3; k++) expect(j.weights[3 * p + k]!).toBeGreaterThanOrEqual(0);
      }
      // no flips, except the sub-triangles at a moved corner that lie in another parent triangle
      let flipped = 0, total = 0;
      for (let t = 0; t < r.faces.length / 3; t++) {
        total++;
        if (signedArea(pts, r.faces, t) <= 0) flipped++;
      }
      expect(flipped).toBe(0);
      expect(total).toBe(2 * n * n);
    });
  }

  it('rejects an amount that could flip triangles', () => {
    const r = buildResampling(square.faces, 4, 2);
    expect(() => jitterResampling(r, vertexNeighbours(square.faces, 4), new Rng(0), 0.3)).toThrow(/jitter/);
  });
});

describe('resampleUvs', () => {
  // UV charts: face 0 maps affinely (u, v) = (x, y)/2; face 1 has its own chart (seam along 1–2):
  // (u, v) = (0.5 + x/2, y/2) shifted right by 0.5
  const uvs = Float32Array.of(0, 0, 0.5, 0, 0, 0.5, /* chart 2: */ 1, 0, 1, 0.5, 0.5, 0.5);
  const faceUvs = Uint32Array.of(0, 1, 2, 3, 4, 5);
  const chartUv = (face: number, x: number, y: number): [number, number] => (face === 0 ? [x / 2, y / 2] : [0.5 + x / 2, y / 2]);

  it('gives every corner its parent chart’s UV at the point (seams stay seams), sharing UVs within a chart', () => {
    const n = 4;
    const r = buildResampling(square.faces, 4, n);
    // unjittered: every point lies in its parent, so UVs are exact
    const out = resampleUvs(r, r.verts, r.weights, square.faces, uvs, faceUvs);
    const pts = resamplePositions(new Float64Array(3 * r.points), r.verts, r.weights, square.positions);
    for (let t = 0; t < r.faces.length / 3; t++) {
      for (let k = 0; k < 3; k++) {
        const p = r.faces[3 * t + k]!, u = out.faceUvs[3 * t + k]!;
        const [eu, ev] = chartUv(r.parent[t]!, pts[3 * p]!, pts[3 * p + 1]!);
        expect(out.uvs[2 * u]!).toBeCloseTo(eu, 6);
        expect(out.uvs[2 * u + 1]!).toBeCloseTo(ev, 6);
      }
    }
    // points on the seam (edge 1–2 and its ends) have two UVs, all others one
    const onSeam = (p: number): boolean => Math.abs(pts[3 * p]! + pts[3 * p + 1]! - 1) < 1e-12;
    let seamPoints = 0;
    for (let p = 0; p < r.points; p++) if (onSeam(p)) seamPoints++;
    expect(seamPoints).toBe(n + 1);
    expect(out.uvs.length / 2).toBe(r.points + seamPoints);
  });

  it('after jitter, corners whose point lies in the parent triangle still get the exact chart UV', () => {
    const n = 4;
    const r = buildResampling(square.faces, 4, n);
    const j = jitterResampling(r, vertexNeighbours(square.faces, 4), new Rng('uv-jitter'), 0.2);
    const out = resampleUvs(r, j.verts, j.weights, square.faces, uvs, faceUvs);
    const pts = resamplePositions(new Float64Array(3 * r.points), j.verts, j.weights, square.positions);
    let exact = 0, all = 0;
    for (let t = 0; t < r.faces.length / 3; t++) {
      const g = r.parent[t]!;
      for (let k = 0; k < 3; k++) {
        const p = r.faces[3 * t + k]!, u = out.faceUvs[3 * t + k]!;
        const w = bary2(square.positions, square.faces[3 * g]!, square.faces[3 * g + 1]!, square.faces[3 * g + 2]!, pts[3 * p]!, pts[3 * p + 1]!);
        all++;
        if (Math.min(...w) < -1e-9) continue; // a moved corner outside this parent: falls back to the vertex's UV
        exact++;
        const [eu, ev] = chartUv(g, pts[3 * p]!, pts[3 * p + 1]!);
        expect(out.uvs[2 * u]!).toBeCloseTo(eu, 6);
        expect(out.uvs[2 * u + 1]!).toBeCloseTo(ev, 6);
      }
    }
    expect(exact / all).toBeGreaterThan(0.9);
  });
});

describe('subdivisionFor', () => {
  it('picks the subdivision whose point count is nearest the target', () => {
    // the built-in model's numbers: V 5044, E 14940, F 9896
    const V = 5044, E = 14940, F = 9896;
    const n = subdivisionFor(V, E, F, 88000);
    expect(n).toBe(4);
    const c = (k: number): number => resampledPointCount(V, E, F, k);
    expect(Math.abs(Math.log(c(n) / 88000))).toBeLessThanOrEqual(Math.abs(Math.log(c(n + 1) / 88000)));
    expect(Math.abs(Math.log(c(n) / 88000))).toBeLessThanOrEqual(Math.abs(Math.log(c(n - 1) / 88000)));
  });
});
