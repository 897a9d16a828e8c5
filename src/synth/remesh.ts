/**
 * Re-meshing a triangle mesh to a denser, different topology whose vertices all lie exactly on the
 * original (piecewise flat) surface, none of them at an original vertex: the synthetic scans'
 * surface, whose distance to the model truth is zero by construction.
 *
 * Each original triangle (a, b, c) is split into n² sub-triangles on the barycentric grid
 * (i/n, j/n); grid points on an original edge are shared by the two triangles of that edge, so
 * the result is as watertight as the original. Every resampled point is a weighted sum of up to
 * three original vertices (`verts`, `weights`), so it follows the original mesh through any
 * deformation: points = Σ_k weights[3p+k] · positions[verts[3p+k]].
 *
 * `jitterResampling` then moves every point tangentially within the surface: interior points by up
 * to `amount`/n in two barycentric directions, edge points along their edge, and the points at the
 * original vertices a fraction 0.12–0.25 of a grid step along a random incident edge. Triangles next
 * to a moved vertex are chords across the original surface's crease there: their distance to the
 * original vertex grows with the move and the crease's sharpness (measured on the built-in head
 * at 4×4: median 0.03 mm, worst about 0.5 mm at the ears; see test/synth/scan-geometry.test.ts). With
 * `amount` < 0.25 no sub-triangle of an original triangle flips (each barycentric coordinate moves
 * by at most 2·amount/n, four such moves are needed to cross a sub-triangle of height 1/n).
 */
import { type Rng, UsageError } from '../util/index.js';

export interface Resampling {
  /** Grid subdivision per original triangle edge. */
  n: number;
  /** Number of resampled points P. */
  points: number;
  /** verts: Uint32Array [P*3], original vertex ids (unused slots repeat a used one with weight 0). */
  verts: Uint32Array;
  /** weights: Float64Array [P*3], barycentric weights (sum to 1). */
  weights: Float64Array;
  /** kind: Uint8Array [P]: 1 at an original vertex, 2 on an original edge, 3 inside a triangle. */
  kind: Uint8Array;
  /** faces: Uint32Array [F'*3], resampled triangles (n² per original one, same orientation). */
  faces: Uint32Array;
  /** parent: Uint32Array [F'], the original triangle of each resampled triangle. */
  parent: Uint32Array;
}

/** Number of points of an n-subdivision of a mesh with V vertices, E edges and F faces. */
export function resampledPointCount(V: number, E: number, F: number, n: number): number {
  return V + (n - 1) * E + ((n - 1) * (n - 2) / 2) * F;
}

/** Number of distinct edges of a triangle list. */
export function edgeCount(faces: Uint32Array): number {
  const seen = new Set<number>();
  for (let f = 0; f < faces.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const a = faces[f + k]!, b = faces[f + ((k + 1) % 3)]!;
      seen.add(a < b ? a * 0x100000 + b : b * 0x100000 + a);
    }
  }
  return seen.size;
}

/**
 * The n-subdivision of `faces` (V vertices; unreferenced vertices get no point). Point order:
 * original vertices (in first-use order), then edge points, then interior points, as met face by face.
 */
export function buildResampling(faces: Uint32Array, V: number, n: number): Resampling {
  if (!(Number.isInteger(n) && n >= 1 && n <= 64)) throw new UsageError(`remesh: subdivision must be an integer 1–64, got ${n}`);
  if (V >= 0x100000) throw new RangeError(`remesh: at most ${0x100000 - 1} vertices, got ${V}`);
  const F = faces.length / 3;
  const verts: number[] = [], weights: number[] = [], kind: number[] = [];
  const add = (a: number, b: number, c: number, wa: number, wb: number, wc: number, k: number): number => {
    verts.push(a, b, c); weights.push(wa, wb, wc); kind.push(k);
    return kind.length - 1;
  };
  const vertexPoint = new Int32Array(V).fill(-1);
  const edgeBase = new Map<number, number>(); // edge (lo, hi) → id of its first inner point (towards hi)
  const out = new Uint32Array(F * n * n * 3);
  const parent = new Uint32Array(F * n * n);
  const grid = new Int32Array(((n + 1) * (n + 2)) / 2);
  const gi = (i: number, j: number): number => (j * (2 * n + 3 - j)) / 2 + i; // row j has n+1−j entries
  let t = 0;
  for (let f = 0; f < F; f++) {
    const a = faces[3 * f]!, b = faces[3 * f + 1]!, c = faces[3 * f + 2]!;
    const corner = (v: number): number => {
      if (vertexPoint[v]! < 0) vertexPoint[v] = add(v, v, v, 1, 0, 0, 1);
      return vertexPoint[v]!;
    };
    /** Point at step s (1..n−1) from u towards w on edge u–w. */
    const edgePoint = (u: number, w: number, s: number): number => {
      const lo = Math.min(u, w), hi = Math.max(u, w);
      const key = lo * 0x100000 + hi;
      let base = edgeBase.get(key);
      if (base === undefined) {
        base = kind.length;
        for (let k = 1; k < n; k++) add(lo, hi, hi, (n - k) / n, k / n, 0, 2);
        edgeBase.set(key, base);
      }
      const k = u === lo ? s : n - s; // steps from lo
      return base + k - 1;
    };
    for (let j = 0; j <= n; j++) {
      for (let i = 0; i + j <= n; i++) {
        const l = n - i - j; // weight of a is l/n, of b i/n, of c j/n
        let p: number;
        if (i === 0 && j === 0) p = corner(a);
        else if (i === n) p = corner(b);
        else if (j === n) p = corner(c);
        else if (j === 0) p = edgePoint(a, b, i);
        else if (i === 0) p = edgePoint(a, c, j);
        else if (l === 0) p = edgePoint(b, c, j);
        else p = add(a, b, c, l / n, i / n, j / n, 3);
        grid[gi(i, j)] = p;
      }
    }
    for (let j = 0; j < n; j++) {
      for (let i = 0; i + j < n; i++) {
        out[3 * t] = grid[gi(i, j)]!; out[3 * t + 1] = grid[gi(i + 1, j)]!; out[3 * t + 2] = grid[gi(i, j + 1)]!;
        parent[t++] = f;
        if (i + j < n - 1) {
          out[3 * t] = grid[gi(i + 1, j)]!; out[3 * t + 1] = grid[gi(i + 1, j + 1)]!; out[3 * t + 2] = grid[gi(i, j + 1)]!;
          parent[t++] = f;
        }
      }
    }
  }
  return {
    n, points: kind.length, verts: Uint32Array.from(verts), weights: Float64Array.from(weights), kind: Uint8Array.from(kind),
    faces: out, parent,
  };
}

/** Vertex adjacency (neighbour lists) of a triangle list: offsets [V+1] and neighbours. */
export function vertexNeighbours(faces: Uint32Array, V: number): { offsets: Uint32Array; list: Uint32Array } {
  const sets: Array<Set<number>> = Array.from({ length: V }, () => new Set());
  for (let f = 0; f < faces.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const a = faces[f + k]!, b = faces[f + ((k + 1) % 3)]!;
      sets[a]!.add(b); sets[b]!.add(a);
    }
  }
  const offsets = new Uint32Array(V + 1);
  for (let v = 0; v < V; v++) offsets[v + 1] = offsets[v]! + sets[v]!.size;
  const list = new Uint32Array(offsets[V]!);
  for (let v = 0; v < V; v++) list.set([...sets[v]!].sort((x, y) => x - y), offsets[v]!);
  return { offsets, list };
}

/**
 * A jittered copy of the resampling's points (verts, weights); faces and parents stay. See the
 * file header. `neighbours` from `vertexNeighbours(original faces)`. With the original `positions`
 * [V*3], an original vertex moves only along an edge at least half as long as its longest, so it
 * does not land on a near-duplicate neighbour (the built-in model has two 0.01 mm edges at the
 * inner eye corners).
 */
export function jitterResampling(r: Resampling, neighbours: { offsets: Uint32Array; list: Uint32Array }, rng: Rng, amount = 0.2, positions?: ArrayLike<number>): { verts: Uint32Array; weights: Float64Array } {
  if (!(amount >= 0 && amount < 0.25)) throw new RangeError(`remesh: jitter amount must be in [0, 0.25), got ${amount}`);
  const verts = new Uint32Array(r.verts), weights = new Float64Array(r.weights);
  const a = amount / r.n;
  const lengths: number[] = [];
  /** A random neighbour slot of v; with positions, only among edges at least half as long as v's longest. */
  const pickNeighbour = (v: number, n0: number, n1: number): number => {
    if (!positions) return rng.int(n1 - n0);
    lengths.length = 0;
    let longest = 0;
    for (let k = n0; k < n1; k++) {
      const w = neighbours.list[k]!;
      const l = Math.hypot(positions[3 * v]! - positions[3 * w]!, positions[3 * v + 1]! - positions[3 * w + 1]!, positions[3 * v + 2]! - positions[3 * w + 2]!);
      lengths.push(l);
      if (l > longest) longest = l;
    }
    const ok: number[] = [];
    lengths.forEach((l, k) => { if (l >= 0.5 * longest) ok.push(k); });
    return ok[rng.int(ok.length)]!;
  };
  for (let p = 0; p < r.points; p++) {
    const o = 3 * p;
    switch (r.kind[p]) {
      case 1: {
        const v = verts[o]!;
        const n0 = neighbours.offsets[v]!, n1 = neighbours.offsets[v + 1]!;
        if (n1 === n0) break;
        const w = neighbours.list[n0 + pickNeighbour(v, n0, n1)]!;
        const s = rng.uniform(0.12, 0.25) / r.n;
        verts[o + 1] = w; verts[o + 2] = w;
        weights[o] = 1 - s; weights[o + 1] = s; weights[o + 2] = 0;
        break;
      }
      case 2: {
        const d = rng.uniform(-a, a);
        weights[o]! -= d; weights[o + 1]! += d;
        break;
      }
      case 3: {
        const d1 = rng.uniform(-a, a), d2 = rng.uniform(-a, a);
        weights[o]! -= d1 + d2; weights[o + 1]! += d1; weights[o + 2]! += d2;
        break;
      }
      default: throw new Error(`remesh: point ${p} has kind ${r.kind[p]}`);
    }
  }
  return { verts, weights };
}

/** Positions of the points: out[3p+c] = Σ_k weights[3p+k] · positions[3·verts[3p+k]+c]. out: Float64Array [P*3]. */
export function resamplePositions(out: Float64Array, verts: Uint32Array, weights: Float64Array, positions: ArrayLike<number>): Float64Array {
  const P = verts.length / 3;
  for (let p = 0; p < P; p++) {
    let x = 0, y = 0, z = 0;
    for (let k = 0; k < 3; k++) {
      const w = weights[3 * p + k]!;
      if (w === 0) continue;
      const v = 3 * verts[3 * p + k]!;
      x += w * positions[v]!; y += w * positions[v + 1]!; z += w * positions[v + 2]!;
    }
    out[3 * p] = x; out[3 * p + 1] = y; out[3 * p + 2] = z;
  }
  return out;
}

/**
 * UVs of the resampled mesh carried over from the original's per-corner UVs (`uvs` [U*2],
 * `faceUvs` [F*3]): every resampled corner takes its point's barycentric UV in its parent triangle's
 * chart, so UV seams stay seams. A point whose weight lies partly on a vertex outside the parent
 * triangle (a moved original vertex) uses the parent's corners only, renormalised. UVs are shared
 * between corners with the same point and chart. Returns uvs: Float32Array [U'*2] and
 * faceUvs: Uint32Array [F'*3].
 */
export function resampleUvs(r: Resampling, verts: Uint32Array, weights: Float64Array, faces: Uint32Array, uvs: Float32Array, faceUvs: Uint32Array): { uvs: Float32Array; faceUvs: Uint32Array } {
  const Fr = r.faces.length / 3;
  const outFaceUvs = new Uint32Array(Fr * 3);
  const out: number[] = [];
  // first chart key per point (three uv ids), then a map for points met in other charts
  const firstKey = new Int32Array(r.points * 3).fill(-1);
  const firstUv = new Int32Array(r.points).fill(-1);
  const more = new Map<string, number>();
  const slotUv = [0, 0, 0];
  for (let t = 0; t < Fr; t++) {
    const g = r.parent[t]!;
    const ga = faces[3 * g]!, gb = faces[3 * g + 1]!, gc = faces[3 * g + 2]!;
    for (let corner = 0; corner < 3; corner++) {
      const p = r.faces[3 * t + corner]!;
      let su = 0, sv = 0, sw = 0;
      for (let k = 0; k < 3; k++) {
        const v = verts[3 * p + k]!, w = weights[3 * p + k]!;
        const slot = v === ga ? 0 : v === gb ? 1 : v === gc ? 2 : -1;
        slotUv[k] = slot < 0 || w === 0 ? -1 : faceUvs[3 * g + slot]!;
        if (slotUv[k]! < 0) continue;
        su += w * uvs[2 * slotUv[k]!]!; sv += w * uvs[2 * slotUv[k]! + 1]!; sw += w;
      }
      let id: number;
      const k0 = slotUv[0]!, k1 = slotUv[1]!, k2 = slotUv[2]!;
      if (firstUv[p]! < 0) {
        firstKey[3 * p] = k0; firstKey[3 * p + 1] = k1; firstKey[3 * p + 2] = k2;
        id = firstUv[p] = out.length / 2;
        out.push(su / sw, sv / sw);
      } else if (firstKey[3 * p] === k0 && firstKey[3 * p + 1] === k1 && firstKey[3 * p + 2] === k2) {
        id = firstUv[p]!;
      } else {
        const key = `${p}:${k0}:${k1}:${k2}`;
        const known = more.get(key);
        if (known !== undefined) id = known;
        else {
          id = out.length / 2;
          more.set(key, id);
          out.push(su / sw, sv / sw);
        }
      }
      outFaceUvs[3 * t + corner] = id;
    }
  }
  return { uvs: Float32Array.from(out), faceUvs: outFaceUvs };
}

/** The subdivision n in 1–16 whose point count is nearest `target` (in ratio). */
export function subdivisionFor(V: number, E: number, F: number, target: number): number {
  let best = 1, bestErr = Infinity;
  for (let n = 1; n <= 16; n++) {
    const err = Math.abs(Math.log(resampledPointCount(V, E, F, n) / target));
    if (err < bestErr) { best = n; bestErr = err; }
  }
  return best;
}
