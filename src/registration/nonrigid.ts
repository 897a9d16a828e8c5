/**
 * Stage 4 of registration: per-vertex offsets δ on top of the fitted model, following the scan
 * where it is reliable and the model elsewhere.
 *
 *   E(δ) = Σ_i data_i(x_i + δ_i)  +  λ_L/h² Σ_i ‖(Lδ)_i‖²  +  λ_0/h² Σ_i c_i ‖δ_i‖²
 *
 * - data: the fitting engine's `PointsTerm` (robust point-to-plane to closest scan points, its
 *   residuals in units of h = `scale`), linearised per vertex (gradient q_i, 3×3 information H_i);
 * - L the uniform graph Laplacian of the model mesh, (Lδ)_i = δ_i − mean_{j~i} δ_j: the offsets
 *   must vary smoothly, so the model's detail is kept and regions without data (holes, eyeballs'
 *   surroundings, back of the head) interpolate their neighbours' offsets;
 * - c_i: 1 everywhere, `rigidWeight` on vertices that must follow the model (eyeballs, mouth
 *   interior): there δ stays ≈ 0.
 *
 * Each round finds correspondences at the current x + δ and takes one Gauss–Newton step of this
 * (per round quadratic) energy: a sparse symmetric positive definite system in 3V unknowns, solved
 * by conjugate gradients with a 3×3 block-Jacobi preconditioner. The smoothness weight is lowered
 * over the rounds (stiff first, then detailed, as in non-rigid ICP, Amberg et al. 2007).
 *
 * Why not the fitting engine's LM: its normal equations are dense in the shared blocks, and δ over
 * a whole head is 15 000 unknowns (a 1.8 GB dense block); here the system is sparse.
 */
import type { PointsTerm } from '../fit/terms/points.js';
import type { VertexTermContext } from '../fit/flame-frames.js';

/** Uniform graph Laplacian adjacency of a triangle mesh (CSR). */
export interface MeshGraph {
  V: number;
  /** neighbours of i: index[start[i] .. start[i+1]). */
  start: Int32Array;
  index: Int32Array;
}

export function meshGraph(V: number, faces: Uint32Array): MeshGraph {
  const sets: Array<Set<number>> = Array.from({ length: V }, () => new Set());
  for (let f = 0; f < faces.length; f += 3) {
    for (let k = 0; k < 3; k++) {
      const a = faces[f + k]!, b = faces[f + ((k + 1) % 3)]!;
      sets[a]!.add(b); sets[b]!.add(a);
    }
  }
  const start = new Int32Array(V + 1);
  for (let i = 0; i < V; i++) start[i + 1] = start[i]! + sets[i]!.size;
  const index = new Int32Array(start[V]!);
  for (let i = 0; i < V; i++) index.set([...sets[i]!].sort((a, b) => a - b), start[i]!);
  return { V, start, index };
}

/** out = L x for x [V*3] (rows of isolated vertices: x_i). */
export function applyLaplacian(g: MeshGraph, x: Float64Array, out: Float64Array): Float64Array {
  for (let i = 0; i < g.V; i++) {
    const s = g.start[i]!, e = g.start[i + 1]!, n = e - s;
    let ax = 0, ay = 0, az = 0;
    for (let k = s; k < e; k++) { const j = g.index[k]!; ax += x[3 * j]!; ay += x[3 * j + 1]!; az += x[3 * j + 2]!; }
    const inv = n > 0 ? 1 / n : 0;
    out[3 * i] = x[3 * i]! - ax * inv; out[3 * i + 1] = x[3 * i + 1]! - ay * inv; out[3 * i + 2] = x[3 * i + 2]! - az * inv;
  }
  return out;
}

/** out = Lᵀ y. */
export function applyLaplacianT(g: MeshGraph, y: Float64Array, out: Float64Array): Float64Array {
  out.set(y);
  for (let i = 0; i < g.V; i++) {
    const s = g.start[i]!, e = g.start[i + 1]!, n = e - s;
    if (!n) continue;
    const inv = 1 / n;
    for (let k = s; k < e; k++) {
      const j = g.index[k]!;
      out[3 * j]! -= y[3 * i]! * inv; out[3 * j + 1]! -= y[3 * i + 1]! * inv; out[3 * j + 2]! -= y[3 * i + 2]! * inv;
    }
  }
  return out;
}

/** Diagonal of LᵀL per vertex (the same for x, y, z). */
function laplacianNormalDiagonal(g: MeshGraph): Float64Array {
  const d = new Float64Array(g.V);
  for (let i = 0; i < g.V; i++) {
    d[i]! += 1; // own row: coefficient 1
    const s = g.start[i]!, e = g.start[i + 1]!, n = e - s;
    if (!n) continue;
    const inv2 = 1 / (n * n);
    for (let k = s; k < e; k++) d[g.index[k]!]! += inv2; // row i's coefficient −1/n on each neighbour
  }
  return d;
}

export interface NonRigidOptions {
  /** Smoothness weight λ_L per round (default [30, 10, 3]): decreasing stiffness. */
  smoothness?: number[];
  /** Rejection distance of the correspondences per round, mm (default 1.5 each). */
  distances?: number[];
  /** λ_0 (default 1e-3). */
  magnitude?: number;
  /** c_i on vertices that follow the model (default 1e4). */
  rigidWeight?: number;
  /** Conjugate-gradient iterations per round (default 100) and relative residual tolerance (1e-4). */
  cgIterations?: number;
  cgTolerance?: number;
}

export const NONRIGID_DEFAULTS: Required<NonRigidOptions> = {
  smoothness: [30, 10, 3],
  distances: [1.5, 1.5, 1.5],
  magnitude: 1e-3,
  rigidWeight: 1e4,
  cgIterations: 100,
  cgTolerance: 1e-4,
};

export interface NonRigidRound {
  smoothness: number;
  correspondences: number;
  dataCost: number;
  cgIterations: number;
}

/** Barycentric landmarks on the mesh as a quadratic term: ½ w_k ‖Σ_j b_kj x_{v_kj} − p_k‖². */
export interface OffsetLandmarks {
  /** vertices [L*3] (the three corners), bary [L*3], points [L*3] (model space), weights [L] (1/σ², metres⁻²). */
  vertices: Uint32Array;
  bary: Float64Array;
  points: Float64Array;
  weights: Float64Array;
}

/**
 * Fits offsets δ [V*3] (model space, metres; updated in place) to the scan. `base` [V*3] the fitted
 * model's vertices; `term` the data term (its frame-0 targets are set by `retarget` each round,
 * given the current x + δ and the round's rejection distance in mm); `rigid` the vertices that
 * follow the model; `landmarks` optional landmark rows (they also hold the tangential position).
 */
export function fitOffsets(
  base: Float64Array, delta: Float64Array, graph: MeshGraph, term: PointsTerm, rigid: Uint8Array,
  retarget: (world: Float64Array, distanceMm: number) => number, options: NonRigidOptions = {}, landmarks?: OffsetLandmarks,
): NonRigidRound[] {
  const o = { ...NONRIGID_DEFAULTS, ...options };
  const V = graph.V, n = 3 * V, h2 = term.scale * term.scale;
  const world = new Float64Array(n), q = new Float64Array(n), H = new Float64Array(9 * V);
  const Ld = new Float64Array(n), LtLd = new Float64Array(n), rhs = new Float64Array(n), step = new Float64Array(n);
  const lapDiag = laplacianNormalDiagonal(graph);
  const c = new Float64Array(V);
  for (let i = 0; i < V; i++) c[i] = rigid[i] ? o.rigidWeight : 1;
  const rounds: NonRigidRound[] = [];
  const ctx: VertexTermContext = {
    t: 0, world, q, H, wantHessian: true,
    addFrameIsotropic: unsupported, eq: undefined as never, subsetSlot: new Int32Array(0), addExtraCross: unsupported, addExplicitRows: unsupported,
  };
  const L = landmarks ? landmarks.weights.length : 0;
  for (const [round, lambdaL] of o.smoothness.entries()) {
    for (let k = 0; k < n; k++) world[k] = base[k]! + delta[k]!;
    const correspondences = retarget(world, o.distances[Math.min(round, o.distances.length - 1)]!);
    q.fill(0); H.fill(0);
    let dataCost = term.linearizeFrame(ctx);
    // landmark rows: gradient and their diagonal (per-vertex) blocks; off-diagonal parts in apply()
    for (let l = 0; l < L; l++) {
      const lm = landmarks!, w = lm.weights[l]!;
      for (let a = 0; a < 3; a++) {
        let r = -lm.points[3 * l + a]!;
        for (let j = 0; j < 3; j++) r += lm.bary[3 * l + j]! * world[3 * lm.vertices[3 * l + j]! + a]!;
        dataCost += 0.5 * w * r * r;
        for (let j = 0; j < 3; j++) q[3 * lm.vertices[3 * l + j]! + a]! += w * lm.bary[3 * l + j]! * r;
      }
      for (let j = 0; j < 3; j++) { const v = lm.vertices[3 * l + j]!, b2 = w * lm.bary[3 * l + j]! ** 2; H[9 * v]! += b2; H[9 * v + 4]! += b2; H[9 * v + 8]! += b2; }
    }
    const wL = (2 * lambdaL) / h2, w0 = (2 * o.magnitude) / h2;
    // gradient of the regularisers: 2λ_L/h² LᵀL δ + 2λ_0/h² C δ
    applyLaplacianT(graph, applyLaplacian(graph, delta, Ld), LtLd);
    for (let i = 0; i < V; i++) for (let a = 0; a < 3; a++) rhs[3 * i + a] = -(q[3 * i + a]! + wL * LtLd[3 * i + a]! + w0 * c[i]! * delta[3 * i + a]!);
    // block-Jacobi preconditioner: inverse of H_i + (wL·diag(LᵀL)_i + w0·c_i)·I
    const P = new Float64Array(9 * V);
    for (let i = 0; i < V; i++) {
      const d = wL * lapDiag[i]! + w0 * c[i]!;
      const m = H.subarray(9 * i, 9 * i + 9);
      invert3(m[0]! + d, m[1]!, m[2]!, m[3]!, m[4]! + d, m[5]!, m[6]!, m[7]!, m[8]! + d, P, 9 * i);
    }
    const apply = (x: Float64Array, out: Float64Array): void => {
      applyLaplacianT(graph, applyLaplacian(graph, x, Ld), out);
      for (let i = 0; i < V; i++) {
        const x0 = x[3 * i]!, x1 = x[3 * i + 1]!, x2 = x[3 * i + 2]!, m = 9 * i, ci = w0 * c[i]!;
        out[3 * i] = wL * out[3 * i]! + ci * x0 + H[m]! * x0 + H[m + 1]! * x1 + H[m + 2]! * x2;
        out[3 * i + 1] = wL * out[3 * i + 1]! + ci * x1 + H[m + 3]! * x0 + H[m + 4]! * x1 + H[m + 5]! * x2;
        out[3 * i + 2] = wL * out[3 * i + 2]! + ci * x2 + H[m + 6]! * x0 + H[m + 7]! * x1 + H[m + 8]! * x2;
      }
      // landmarks: w·b_j·b_k between different corners (the diagonal is in H)
      for (let l = 0; l < L; l++) {
        const lm = landmarks!, w = lm.weights[l]!;
        for (let j = 0; j < 3; j++) for (let k2 = 0; k2 < 3; k2++) {
          if (j === k2) continue;
          const vj = lm.vertices[3 * l + j]!, vk = lm.vertices[3 * l + k2]!, c = w * lm.bary[3 * l + j]! * lm.bary[3 * l + k2]!;
          for (let a = 0; a < 3; a++) out[3 * vj + a]! += c * x[3 * vk + a]!;
        }
      }
    };
    const it = conjugateGradient(apply, P, rhs, step, o.cgIterations, o.cgTolerance);
    for (let k = 0; k < n; k++) delta[k]! += step[k]!;
    rounds.push({ smoothness: lambdaL, correspondences, dataCost, cgIterations: it });
  }
  return rounds;
}

function unsupported(): never {
  throw new Error('non-rigid stage: only per-vertex terms (PointsTerm) are supported');
}

/** Inverse of a 3×3 matrix (row-major entries) into out[o..o+9] (zero when singular). */
function invert3(a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, out: Float64Array, o: number): void {
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!(Math.abs(det) > 1e-300)) { out.fill(0, o, o + 9); return; }
  const r = 1 / det;
  out[o] = A * r; out[o + 1] = -(b * i - c * h) * r; out[o + 2] = (b * f - c * e) * r;
  out[o + 3] = B * r; out[o + 4] = (a * i - c * g) * r; out[o + 5] = -(a * f - c * d) * r;
  out[o + 6] = C * r; out[o + 7] = -(a * h - b * g) * r; out[o + 8] = (a * e - b * d) * r;
}

/** Preconditioned conjugate gradients for A x = b (x starts at 0); returns the iterations used. */
export function conjugateGradient(
  apply: (x: Float64Array, out: Float64Array) => void, blockInverse: Float64Array, b: Float64Array, x: Float64Array, maxIterations: number, tolerance: number,
): number {
  const n = b.length;
  const r = Float64Array.from(b), z = new Float64Array(n), p = new Float64Array(n), Ap = new Float64Array(n);
  x.fill(0);
  const precondition = (src: Float64Array, dst: Float64Array): void => {
    for (let i = 0; i < n / 3; i++) {
      const m = 9 * i, s0 = src[3 * i]!, s1 = src[3 * i + 1]!, s2 = src[3 * i + 2]!;
      dst[3 * i] = blockInverse[m]! * s0 + blockInverse[m + 1]! * s1 + blockInverse[m + 2]! * s2;
      dst[3 * i + 1] = blockInverse[m + 3]! * s0 + blockInverse[m + 4]! * s1 + blockInverse[m + 5]! * s2;
      dst[3 * i + 2] = blockInverse[m + 6]! * s0 + blockInverse[m + 7]! * s1 + blockInverse[m + 8]! * s2;
    }
  };
  const dot = (a: Float64Array, c: Float64Array): number => { let s = 0; for (let k = 0; k < n; k++) s += a[k]! * c[k]!; return s; };
  const b0 = Math.sqrt(dot(b, b));
  if (b0 === 0) return 0;
  precondition(r, z);
  p.set(z);
  let rz = dot(r, z);
  for (let it = 1; it <= maxIterations; it++) {
    apply(p, Ap);
    const pAp = dot(p, Ap);
    if (!(pAp > 0)) return it;
    const alpha = rz / pAp;
    for (let k = 0; k < n; k++) { x[k]! += alpha * p[k]!; r[k]! -= alpha * Ap[k]!; }
    if (Math.sqrt(dot(r, r)) <= tolerance * b0) return it;
    precondition(r, z);
    const rzNew = dot(r, z);
    const beta = rzNew / rz;
    rz = rzNew;
    for (let k = 0; k < n; k++) p[k] = z[k]! + beta * p[k]!;
  }
  return maxIterations;
}
