/**
 * FLAME over a sequence of frames as parameter blocks, and the mapping of per-vertex terms into
 * the normal equations.
 *
 * Blocks: `shape` [S] and optionally `offsets` [3·R] (per-vertex δ on a region) are shared; per
 * frame t: `expr:t` [E], `pose:t` [12] (axis-angle of neck, jaw, left eye, right eye; FLAME's
 * global rotation stays 0) and the head's rigid transform `headR:t` (rotation) and `headT:t` [3]:
 * world vertices x_t = R_h,t · FLAME(β, δ, ψ_t, θ_t) + t_h,t.
 *
 * Vertex terms (2D alignment, temporal smoothness, 3D distances) only see world vertices: per
 * frame they report the cost, the gradient with respect to each vertex q_i = ∂cost/∂x_i and its
 * Gauss–Newton information H_i (3×3). This class chains them through the FLAME Jacobian:
 * - the gradient exactly, over all vertices (expression part as one product yᵀE per frame on the
 *   kernel, pose, head and shape parts by per-joint sums);
 * - the Hessian of the frame variables and their coupling with shape and cameras from a fixed,
 *   evenly spread subset of `hessianVertices` vertices scaled by V/Vs (an unbiased estimate; the
 *   gradient stays exact, so the minimum found is the true one), as batched float32 GEMMs;
 * - the shape Hessian from each subset vertex's information summed over frames: with
 *   G^S_i = C_i·Ŝ_i, C_i = [R_h·B_i | R_h·W_ik·Q_k] (3×15, per frame) and Ŝ_i = [S_i; (Jreg·S)_k]
 *   (15×S, constant), A_ss = Σ_i Ŝ_iᵀ (Σ_t C_iᵀ H C_i) Ŝ_i — exact, including the joints'
 *   dependence on β, without a per-frame S×S product.
 */
import type { FlameModel } from '../flame/model.js';
import { NUM_JOINTS, POSE_SIZE } from '../flame/model.js';
import { FlameBatchEvaluator, type FrameState } from '../flame/batch.js';
import { matmul, ConstMatMul } from '../kernels/matmul.js';
import { ParameterBlock, type ParameterSet } from './parameters.js';
import type { NormalEquations } from './system.js';
import { PoseJacobian, descendantWeights, jointTerms } from './flame-jacobian.js';
import { FramesKernel } from './frames-kernel.js';
import { sqrtFactor3 } from './sym3.js';
import { profile } from '../util/profile.js';

const J = NUM_JOINTS;
/** Explicit frame columns after the expression: pose (12), head rotation (3), head translation (3). */
const X_COLS = 18;

export interface VertexTermContext {
  t: number;
  /** World vertices of frame t [V*3]. */
  world: Float64Array;
  /** Accumulators the term adds into (world space): q [V*3] = ∂cost/∂x_i, H [V*9] GN information. */
  q: Float64Array;
  H: Float64Array;
  /** Isotropic information added to every vertex, for the frame's own blocks only (E_temp). */
  addFrameIsotropic(value: number): void;
  wantHessian: boolean;
  eq: NormalEquations;
  /** Hessian subset slot of each vertex (−1 when not in the subset). */
  subsetSlot: Int32Array;
  /** Coupling of vertex i's world position with extra (camera) columns: Y [3 × width] row-major at column `column`. */
  addExtraCross(i: number, column: number, Y: ArrayLike<number>, width: number): void;
  /**
   * Hessian rows that combine several vertices (e.g. a barycentric landmark), handled exactly:
   * `phi` [k × 3n] holds k rows over the world coordinates of `vertices` (n of them). The term
   * adds the matching gradient into q itself; do not also add these rows' information to H.
   */
  addExplicitRows(vertices: ArrayLike<number>, phi: ArrayLike<number>, k: number): void;
}

/** A term whose residuals depend on world vertex positions (and possibly on cameras). */
export interface VertexTerm {
  readonly name: string;
  /** Number of extra (camera) columns it couples to vertices, and their tangent offsets. */
  extraOffsets?(): Int32Array;
  /** First column of this term's extra columns in the shared extra layout (set by FlameFrames). */
  extraBase?: number;
  /** True when the term adds frame-only isotropic information (`addFrameIsotropic`). */
  readonly usesFrameIsotropic?: boolean;
  /** Cost of frame t. */
  frameCost(t: number, world: Float64Array, frames: FlameFrames): number;
  /** Cost of frame t; adds q, H (and its own extra-block gradient/Hessian into eq). */
  linearizeFrame(ctx: VertexTermContext, frames: FlameFrames): number;
}

export interface FlameFramesOptions {
  model: FlameModel;
  frames: number;
  /** Vertices with per-vertex offsets δ (E_deform region). */
  offsetRegion?: Uint32Array;
  /** Size of the vertex subset for the Hessian (default 1024; ≥ V means all vertices, exact). */
  hessianVertices?: number;
  /** Frames per kernel call (default 8). */
  chunk?: number;
  /** FLAME blendshape products in 'float32' (default, ~1e-9 m rounding) or 'float64'. */
  precision?: 'float32' | 'float64';
}

/**
 * Which Hessian blocks linearize() fills. 'full': everything. 'blocks': each frame's block and the
 * shared blocks (shape, cameras, offsets) but not their couplings — the LM step is then a
 * block-coordinate Newton step (exact gradient; cheaper: no shape–frame or camera–frame products).
 */
export type HessianCoupling = 'full' | 'blocks';

export class FlameFrames {
  readonly model: FlameModel;
  readonly T: number;
  readonly V: number;
  readonly shape: ParameterBlock;
  readonly offsets: ParameterBlock | undefined;
  readonly offsetRegion: Uint32Array;
  readonly expr: ParameterBlock[] = [];
  readonly pose: ParameterBlock[] = [];
  readonly headR: ParameterBlock[] = [];
  readonly headT: ParameterBlock[] = [];
  /** World vertices of every frame [V*3], current after `update()`. */
  readonly world: Float64Array[];
  readonly terms: VertexTerm[] = [];
  /** Frames [start, end) that are evaluated and linearised (all by default; one in sequential mode). */
  active: [number, number];
  subset: Uint32Array;
  /** Horvitz–Thompson weight 1/π_i of each subset vertex (1 when all vertices are used). */
  subsetWeight: Float64Array;
  subsetSlot: Int32Array;
  private readonly chunk: number;
  private readonly precision: 'float32' | 'float64';
  private batch: FlameBatchEvaluator | undefined;
  private readonly W: Float64Array;
  private readonly poseJac: PoseJacobian;
  private kernel: FramesKernel | undefined;
  private kernelKey = '';
  private Ssub: Float32Array | undefined;
  private exprGradient: ConstMatMul<Float64Array> | undefined;
  /** See HessianCoupling. */
  coupling: HessianCoupling = 'full';

  constructor(params: ParameterSet, options: FlameFramesOptions) {
    const m = (this.model = options.model);
    this.T = options.frames;
    this.V = m.numVertices;
    this.shape = params.add(new ParameterBlock('shape', new Float64Array(m.numShape)));
    this.offsetRegion = options.offsetRegion ?? new Uint32Array(0);
    if (this.offsetRegion.length) this.offsets = params.add(new ParameterBlock('offsets', new Float64Array(3 * this.offsetRegion.length)));
    for (let t = 0; t < this.T; t++) {
      this.expr.push(params.add(new ParameterBlock(`expr:${t}`, new Float64Array(m.numExpr), { frame: t })));
      this.pose.push(params.add(new ParameterBlock(`pose:${t}`, new Float64Array(12), { frame: t })));
      this.headR.push(params.add(new ParameterBlock(`headR:${t}`, Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), { manifold: 'rotation', frame: t })));
      this.headT.push(params.add(new ParameterBlock(`headT:${t}`, new Float64Array(3), { frame: t })));
    }
    this.world = Array.from({ length: this.T }, () => new Float64Array(this.V * 3));
    this.active = [0, this.T];
    const { subset, weights } = hessianSubset(m, options.hessianVertices ?? 1024);
    this.subset = subset;
    this.subsetWeight = weights;
    this.subsetSlot = new Int32Array(this.V).fill(-1);
    this.subset.forEach((i, s) => { this.subsetSlot[i] = s; });
    this.chunk = options.chunk ?? 8;
    this.precision = options.precision ?? 'float32';
    this.W = descendantWeights(m);
    this.poseJac = new PoseJacobian(m, this.W);
  }

  addTerm(term: VertexTerm): void { this.terms.push(term); }

  /** Changes the Hessian vertex subset (≥ V: all vertices, exact). */
  setHessianVertices(count: number): void {
    const { subset, weights } = hessianSubset(this.model, count);
    if (subset.length === this.subset.length && subset.every((v, k) => v === this.subset[k])) return;
    this.subset = subset;
    this.subsetWeight = weights;
    this.subsetSlot = new Int32Array(this.V).fill(-1);
    this.subset.forEach((i, s) => { this.subsetSlot[i] = s; });
    this.kernel = undefined;
    this.kernelKey = '';
    this.Ssub = undefined;
  }

  private async evaluator(): Promise<FlameBatchEvaluator> {
    this.batch ??= await FlameBatchEvaluator.create(this.model, this.precision);
    return this.batch;
  }

  /** Full offsets [V*3] from the region offsets. */
  private fullOffsets(): Float64Array | undefined {
    if (!this.offsets) return undefined;
    const full = new Float64Array(this.V * 3);
    this.offsetRegion.forEach((i, r) => { for (let k = 0; k < 3; k++) full[3 * i + k] = this.offsets!.values[3 * r + k]!; });
    return full;
  }

  /** Evaluates frames [t0, t1) in chunks, calling onFrame with model state and world vertices. */
  private async forFrames(onFrame?: (t: number, st: FrameState, world: Float64Array) => void, afterChunk?: (t0: number, t1: number) => Promise<void>): Promise<void> {
    const m = this.model, E = m.numExpr, ev = await this.evaluator();
    // the identity product (S components) only when β or δ changed
    const idKey = this.offsets ? Float64Array.from([...this.shape.values, ...this.offsets.values]) : this.shape.values;
    if (!this.identityKey || !equalArrays(idKey, this.identityKey)) {
      await profile.timeAsync('fit.flame-identity', () => ev.setIdentity(this.shape.values, this.fullOffsets()));
      this.identityKey = Float64Array.from(idKey);
    }
    const chunk = this.chunk;
    const out = new Float64Array(chunk * this.V * 3);
    const [a, b] = this.active;
    for (let t0 = a; t0 < b; t0 += chunk) {
      const t1 = Math.min(b, t0 + chunk), n = t1 - t0;
      const expr = new Float64Array(n * E), pose = new Float64Array(n * POSE_SIZE);
      for (let t = t0; t < t1; t++) {
        expr.set(this.expr[t]!.values, (t - t0) * E);
        pose.set(this.pose[t]!.values, (t - t0) * POSE_SIZE + 3);
      }
      const tEval = performance.now();
      let inner = 0;
      await ev.evaluate(expr, pose, undefined, n, out.subarray(0, n * this.V * 3), (tl, st) => {
        const t1x = performance.now();
        const t = t0 + tl;
        const R = this.headR[t]!.values, h = this.headT[t]!.values, x = this.world[t]!, v = st.vertices;
        for (let i = 0; i < this.V; i++) {
          const a = v[3 * i]!, b = v[3 * i + 1]!, c = v[3 * i + 2]!;
          x[3 * i] = R[0]! * a + R[1]! * b + R[2]! * c + h[0]!;
          x[3 * i + 1] = R[3]! * a + R[4]! * b + R[5]! * c + h[1]!;
          x[3 * i + 2] = R[6]! * a + R[7]! * b + R[8]! * c + h[2]!;
        }
        onFrame?.(t, st, x);
        inner += performance.now() - t1x;
      });
      profile.add('fit.flame-eval', performance.now() - tEval - inner);
      if (afterChunk) await profile.timeAsync('fit.hessian-kernel', () => afterChunk(t0, t1));
    }
  }

  /** Recomputes the world vertices of the active frames (skipped when no parameter changed). */
  async update(): Promise<void> {
    const snap = this.snapshot();
    if (this.lastSnapshot && equalArrays(snap, this.lastSnapshot)) return;
    await this.forFrames();
    this.lastSnapshot = snap;
  }

  /** All parameter values the world vertices depend on (active frames, shape, offsets). */
  private snapshot(): Float64Array {
    const [a, b] = this.active;
    const parts: Float64Array[] = [Float64Array.of(a, b), this.shape.values];
    if (this.offsets) parts.push(this.offsets.values);
    for (let t = a; t < b; t++) parts.push(this.expr[t]!.values, this.pose[t]!.values, this.headR[t]!.values, this.headT[t]!.values);
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Float64Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  private lastSnapshot: Float64Array | undefined;
  private identityKey: Float64Array | undefined;

  /** Cost of every vertex term (after `update()`), by term name. */
  termCosts(): Record<string, number> {
    const t0 = performance.now();
    const out: Record<string, number> = {};
    for (const term of this.terms) {
      let c = 0;
      for (let t = this.active[0]; t < this.active[1]; t++) c += term.frameCost(t, this.world[t]!, this);
      out[term.name] = (out[term.name] ?? 0) + c;
    }
    profile.add('fit.term-costs', performance.now() - t0);
    return out;
  }

  /** Tangent offsets of frame t's columns [expr (E) | pose (12) | headR (3) | headT (3)]. */
  frameIndex(t: number): Int32Array {
    const E = this.model.numExpr, idx = new Int32Array(E + X_COLS);
    const put = (b: ParameterBlock, at: number, n: number) => { for (let k = 0; k < n; k++) idx[at + k] = b.offset < 0 ? -1 : b.offset + k; };
    put(this.expr[t]!, 0, E);
    put(this.pose[t]!, E, 12);
    put(this.headR[t]!, E + 12, 3);
    put(this.headT[t]!, E + 15, 3);
    return idx;
  }

  private ensureKernel(shapeVar: boolean, temporal: boolean, Xe: number): FramesKernel {
    const m = this.model, E = m.numExpr, S = m.numShape, Vs = this.subset.length;
    const key = `${shapeVar}/${temporal}/${Xe}`;
    if (this.kernel && this.kernelKey === key) return this.kernel;
    const Esub = new Float32Array(Vs * 3 * E), Wsub = new Float32Array(Vs * 5);
    this.subset.forEach((i, s) => {
      Esub.set(m.exprDirs.subarray(3 * i * E, (3 * i + 3) * E), 3 * s * E);
      Wsub.set(this.W.subarray(i * J, (i + 1) * J), 5 * s);
    });
    if (shapeVar && !this.Ssub) {
      this.Ssub = new Float32Array(Vs * 3 * S);
      this.subset.forEach((i, s) => this.Ssub!.set(m.shapeDirs.subarray(3 * i * S, (3 * i + 3) * S), 3 * s * S));
    }
    const sw = Float32Array.from(this.subsetWeight, (w) => Math.sqrt(w));
    this.kernel = new FramesKernel({ V: this.V, Vs, E, S, X: X_COLS, Xe, shape: shapeVar, temporal }, { Esub, Wsub, sw, ...(shapeVar ? { Ssub: this.Ssub } : {}) });
    this.kernelKey = key;
    return this.kernel;
  }

  /**
   * Linearises every vertex term over all frames into eq; returns the cost per term. The layout's
   * offsets must be current (`ParameterSet.layout()`).
   */
  async linearize(eq: NormalEquations, wantHessian: boolean): Promise<Record<string, number>> {
    const m = this.model, V = this.V, E = m.numExpr, S = m.numShape, Vs = this.subset.length;
    const P = E + X_COLS;
    const shapeVar = this.shape.offset >= 0;
    const offsetsVar = this.offsets !== undefined && this.offsets.offset >= 0;
    // extra columns (cameras) of the terms
    let Xe = 0;
    const extraIndex: number[] = [];
    for (const term of this.terms) {
      const offs = term.extraOffsets?.();
      term.extraBase = Xe;
      if (offs) { extraIndex.push(...offs); Xe += offs.length; }
    }
    const extraVar = extraIndex.some((o) => o >= 0);
    const couple = this.coupling === 'full';
    const XeK = extraVar && couple ? Xe : 0;
    const costs: Record<string, number> = {};
    for (const term of this.terms) costs[term.name] = 0;
    const q = new Float64Array(V * 3), H = new Float64Array(V * 9);
    const qm = new Float64Array(V * 3), y = new Float64Array(V * 3);
    const ybar = shapeVar ? new Float64Array(V * 3) : undefined;
    // shape block with the joints' dependence on β: per subset vertex, C = [B̂ | R_h·W_ik·Q_k (k = 1..4)]
    // and H̄15 = Σ_t Cᵀ H C (15×15), exact up to the subset sampling
    const Hbar15 = wantHessian && shapeVar ? new Float64Array(this.subset.length * 225) : undefined;
    // offsets × shape: per region vertex the first three rows of Σ_t Cᵀ H C (3×15)
    const Hreg15 = wantHessian && shapeVar && offsetsVar && this.coupling === 'full' ? new Float64Array(this.offsetRegion.length * 45) : undefined;
    const ME = new Float64Array(J * 3 * E), MS = shapeVar ? new Float64Array(J * 3 * S) : undefined;
    const gPose = new Float64Array(12), poseCols = new Float64Array(3 * 12), sW = new Float64Array(J * 3);
    const chunk = this.chunk;
    const scale = 1; // the subset's Horvitz–Thompson weights are applied in the kernel
    const temporal = this.terms.some((term) => term.usesFrameIsotropic);
    // per-chunk kernel inputs
    const kin = wantHessian ? {
      Bw: new Float32Array(chunk * Vs * 9), Rh: new Float32Array(chunk * 9), ME: new Float32Array(chunk * 5 * 3 * E),
      Gx: new Float32Array(chunk * Vs * 3 * X_COLS), Lt: new Float32Array(chunk * Vs * 9),
      MS: shapeVar ? new Float32Array(chunk * 5 * 3 * S) : undefined, Yt: XeK ? new Float32Array(chunk * 3 * Vs * XeK) : undefined,
    } : undefined;
    const iso = new Float64Array(chunk);
    const F = new Float64Array(9);
    const frameIdx: Int32Array[] = [];
    const sharedOffsets = { shape: Int32Array.from({ length: S }, (_, k) => (shapeVar ? this.shape.offset + k : -1)) };
    const extraIdx = Int32Array.from(extraIndex);
    const Y64 = new Float64Array(chunk * 3 * V);
    // terms may read neighbouring frames (E_temp): make every frame's world vertices current first
    await this.update();
    const snapshotAtStart = this.lastSnapshot;
    const regionSlot = new Int32Array(V).fill(-1);
    if (offsetsVar) this.offsetRegion.forEach((i, r) => { regionSlot[i] = r; });

    let chunkStart = this.active[0];
    await this.forFrames((t, st, x) => {
      const tl = t - chunkStart;
      q.fill(0);
      if (wantHessian) H.fill(0);
      let isoValue = 0;
      const slotYt = kin?.Yt ? kin.Yt.subarray(tl * 3 * Vs * XeK, (tl + 1) * 3 * Vs * XeK) : undefined;
      slotYt?.fill(0);
      const explicit: Array<{ vertices: ArrayLike<number>; phi: ArrayLike<number>; k: number }> = [];
      const ctx: VertexTermContext = {
        t, world: x, q, H, wantHessian, eq, subsetSlot: this.subsetSlot,
        addExplicitRows: (vertices, phi, k) => { if (wantHessian) explicit.push({ vertices, phi, k }); },
        addFrameIsotropic: (v) => { isoValue += v; },
        addExtraCross: (i, column, Yv, width) => {
          const s = this.subsetSlot[i]!;
          if (s >= 0 && slotYt) {
            const w = this.subsetWeight[s]!;
            for (let a = 0; a < 3; a++) for (let k = 0; k < width; k++) slotYt[(3 * s + a) * XeK + column + k]! += w * Yv[a * width + k]!;
          }
          const r = regionSlot[i]!;
          if (r >= 0 && extraVar && couple) {
            // extra columns × offsets of vertex i: Yᵀ·(R_h B_i), exact
            const Rh = this.headR[t]!.values, B = st.blended, bo = 12 * i;
            const M = new Float64Array(width * 3);
            for (let k = 0; k < width; k++) for (let b = 0; b < 3; b++) {
              let v = 0;
              for (let a = 0; a < 3; a++) v += Yv[a * width + k]! * (Rh[3 * a]! * B[bo + b]! + Rh[3 * a + 1]! * B[bo + 4 + b]! + Rh[3 * a + 2]! * B[bo + 8 + b]!);
              M[k * 3 + b] = v;
            }
            const o = this.offsets!.offset + 3 * r;
            eq.addHessianCross(extraIdx.subarray(column, column + width), [o, o + 1, o + 2], M, width, 3);
          }
        },
      };
      const tTerms = performance.now();
      for (const term of this.terms) costs[term.name]! += term.linearizeFrame(ctx, this);
      profile.add('fit.terms-linearize', performance.now() - tTerms);
      const tMap = performance.now();
      if (isoValue && !temporal) throw new Error('a vertex term added frame-isotropic information without declaring usesFrameIsotropic');
      iso[tl] = isoValue;
      const Rh = this.headR[t]!.values, B = st.blended;
      // model-space gradient qm = Rhᵀ q and skinned y = Bᵀ qm
      sW.fill(0);
      for (let i = 0; i < V; i++) {
        const a = q[3 * i]!, b = q[3 * i + 1]!, c = q[3 * i + 2]!;
        const m0 = Rh[0]! * a + Rh[3]! * b + Rh[6]! * c, m1 = Rh[1]! * a + Rh[4]! * b + Rh[7]! * c, m2 = Rh[2]! * a + Rh[5]! * b + Rh[8]! * c;
        qm[3 * i] = m0; qm[3 * i + 1] = m1; qm[3 * i + 2] = m2;
        const bo = 12 * i;
        y[3 * i] = B[bo]! * m0 + B[bo + 4]! * m1 + B[bo + 8]! * m2;
        y[3 * i + 1] = B[bo + 1]! * m0 + B[bo + 5]! * m1 + B[bo + 9]! * m2;
        y[3 * i + 2] = B[bo + 2]! * m0 + B[bo + 6]! * m1 + B[bo + 10]! * m2;
        for (let k = 0; k < J; k++) {
          const w = this.W[i * J + k]!;
          if (w === 0) continue;
          sW[3 * k]! += w * m0; sW[3 * k + 1]! += w * m1; sW[3 * k + 2]! += w * m2;
        }
      }
      const idx = this.frameIndex(t);
      frameIdx[tl] = idx;
      Y64.set(y, tl * 3 * V);
      // expression: joint part here, the yᵀE part from the kernel (or below without Hessian)
      jointTerms(ME, st, m.parents, this.batch!.jointExprDirs, E);
      addJointGradient(eq, idx, 0, ME, sW, E);
      // pose, head rotation (left-perturbed: ∂x/∂δω = −[R_h v]×) and translation
      this.poseJac.setFrame(st);
      this.poseJac.gradient(st, qm, gPose);
      for (let k = 0; k < 12; k++) if (idx[E + k]! >= 0) eq.gradient[idx[E + k]!]! += gPose[k]!;
      let gr0 = 0, gr1 = 0, gr2 = 0, gt0 = 0, gt1 = 0, gt2 = 0;
      const h = this.headT[t]!.values;
      for (let i = 0; i < V; i++) {
        const ax = x[3 * i]! - h[0]!, ay = x[3 * i + 1]! - h[1]!, az = x[3 * i + 2]! - h[2]!;
        const qx = q[3 * i]!, qy = q[3 * i + 1]!, qz = q[3 * i + 2]!;
        gr0 += ay * qz - az * qy; gr1 += az * qx - ax * qz; gr2 += ax * qy - ay * qx;
        gt0 += qx; gt1 += qy; gt2 += qz;
      }
      const gh = [gr0, gr1, gr2, gt0, gt1, gt2];
      for (let k = 0; k < 6; k++) if (idx[E + 12 + k]! >= 0) eq.gradient[idx[E + 12 + k]!]! += gh[k]!;
      if (shapeVar) {
        for (let r = 0; r < 3 * V; r++) ybar![r]! += y[r]!;
        jointTerms(MS!, st, m.parents, this.batch!.jointShapeDirs, S);
        addJointGradient(eq, sharedOffsets.shape, 0, MS!, sW, S);
      }
      if (offsetsVar) {
        const o = this.offsets!.offset;
        this.offsetRegion.forEach((i, r) => { for (let k = 0; k < 3; k++) eq.gradient[o + 3 * r + k]! += y[3 * i + k]!; });
      }
      profile.add('fit.gradient-map', performance.now() - tMap);
      if (!wantHessian) return;
      const tHess = performance.now();
      // ---- Hessian ----
      const Bw = new Float64Array(9);
      const bw = (i: number) => {
        const bo = 12 * i;
        for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) Bw[3 * a + b] = Rh[3 * a]! * B[bo + b]! + Rh[3 * a + 1]! * B[bo + 4 + b]! + Rh[3 * a + 2]! * B[bo + 8 + b]!;
        return Bw;
      };
      if (Hbar15 || Hreg15) {
        const Rw = st.worldRotations, C = _C15, CH = _CH15;
        // rows r0..14 of Σ_t Cᵀ H C for vertex i into out[o…] (rows × 15)
        const accumulate = (i: number, out: Float64Array, o: number, rows: number) => {
          const Hi = H.subarray(9 * i, 9 * i + 9);
          if (Hi[0] === 0 && Hi[4] === 0 && Hi[8] === 0) return;
          const b = bw(i);
          for (let a = 0; a < 3; a++) for (let c = 0; c < 3; c++) C[a * 15 + c] = b[3 * a + c]!;
          for (let k = 1; k < J; k++) {
            const w = this.W[i * J + k]!, p = m.parents[k]!;
            for (let a = 0; a < 3; a++) for (let c = 0; c < 3; c++) {
              // R_h · w · Q_k, Q_k = Rw_parent − Rw_k
              let v = 0;
              if (w !== 0) for (let d = 0; d < 3; d++) v += Rh[3 * a + d]! * ((p < 0 ? (d === c ? 1 : 0) : Rw[9 * p + 3 * d + c]!) - Rw[9 * k + 3 * d + c]!);
              C[a * 15 + 3 * k + c] = w * v;
            }
          }
          // CH = Cᵀ H (15×3), then rows of CH·C
          for (let r = 0; r < rows; r++) for (let c = 0; c < 3; c++) CH[r * 3 + c] = C[r]! * Hi[c]! + C[15 + r]! * Hi[3 + c]! + C[30 + r]! * Hi[6 + c]!;
          for (let r = 0; r < rows; r++) {
            const h0 = CH[r * 3]!, h1 = CH[r * 3 + 1]!, h2 = CH[r * 3 + 2]!;
            if (h0 === 0 && h1 === 0 && h2 === 0) continue;
            for (let c = 0; c < 15; c++) out[o + r * 15 + c]! += h0 * C[c]! + h1 * C[15 + c]! + h2 * C[30 + c]!;
          }
        };
        const tAcc = performance.now();
        if (Hbar15) for (let si = 0; si < this.subset.length; si++) accumulate(this.subset[si]!, Hbar15, si * 225, 15);
        if (Hreg15) this.offsetRegion.forEach((i, r) => accumulate(i, Hreg15, r * 45, 3));
        profile.add('fit.hessian-shape-info', performance.now() - tAcc);
      }
      const k = kin!;
      for (let e = 0; e < 9; e++) k.Rh[tl * 9 + e] = Rh[e]!;
      for (let a = 0; a < 5 * 3 * E; a++) k.ME[tl * 5 * 3 * E + a] = ME[a]!;
      if (shapeVar) for (let a = 0; a < 5 * 3 * S; a++) k.MS![tl * 5 * 3 * S + a] = MS![a]!;
      for (let s = 0; s < Vs; s++) {
        const i = this.subset[s]!;
        const o9 = (tl * Vs + s) * 9;
        const bwi = bw(i);
        for (let e = 0; e < 9; e++) k.Bw[o9 + e] = bwi[e]!;
        sqrtFactor3(H.subarray(9 * i, 9 * i + 9), F);
        for (let e = 0; e < 9; e++) k.Lt[o9 + e] = F[e]!;
        // explicit columns (world): pose = R_h · model columns, head rotation −[x − t]×, translation I
        this.poseJac.columns(st, i, poseCols, 0, 12);
        const go = (tl * Vs + s) * 3 * X_COLS;
        for (let a = 0; a < 3; a++) {
          for (let c = 0; c < 12; c++) k.Gx[go + a * X_COLS + c] = Rh[3 * a]! * poseCols[c]! + Rh[3 * a + 1]! * poseCols[12 + c]! + Rh[3 * a + 2]! * poseCols[24 + c]!;
        }
        // head rotation −[x − t]×, translation I
        const ax = x[3 * i]! - h[0]!, ay = x[3 * i + 1]! - h[1]!, az = x[3 * i + 2]! - h[2]!;
        const g0 = go + 12, g1 = go + X_COLS + 12, g2 = go + 2 * X_COLS + 12;
        k.Gx[g0] = 0; k.Gx[g0 + 1] = az; k.Gx[g0 + 2] = -ay; k.Gx[g0 + 3] = 1; k.Gx[g0 + 4] = 0; k.Gx[g0 + 5] = 0;
        k.Gx[g1] = -az; k.Gx[g1 + 1] = 0; k.Gx[g1 + 2] = ax; k.Gx[g1 + 3] = 0; k.Gx[g1 + 4] = 1; k.Gx[g1 + 5] = 0;
        k.Gx[g2] = ay; k.Gx[g2 + 1] = -ax; k.Gx[g2 + 2] = 0; k.Gx[g2 + 3] = 0; k.Gx[g2 + 4] = 0; k.Gx[g2 + 5] = 1;
      }
      // offsets: exact over the whole region — own block and coupling with this frame's variables
      if (offsetsVar) this.offsetHessian(eq, t, st, H, couple ? idx : undefined, ME);
      const tExp = performance.now();
      if (explicit.length) this.explicitHessian(eq, t, st, idx, ME, shapeVar ? MS : undefined, explicit);
      profile.add('fit.hessian-explicit', performance.now() - tExp);
      profile.add('fit.hessian-prepare', performance.now() - tHess);
    }, async (t0, t1) => {
      chunkStart = t1;
      const n = t1 - t0;
      // expression gradient yᵀE in float64 (exact): one frame in JavaScript (a float64 GEMV on the
      // kernel costs ~5 ms of call overhead), several at once on the kernel
      let g: Float64Array;
      if (n === 1) g = profile.time('fit.expr-gradient', () => rowCombination(Y64, m.exprDirs, 3 * V, E));
      else {
        this.exprGradient ??= new ConstMatMul(m.exprDirs, 3 * V, E);
        g = await profile.timeAsync('fit.expr-gradient', () => this.exprGradient!.run(Y64.subarray(0, n * 3 * V), n));
      }
      for (let tl = 0; tl < n; tl++) addIndexed(eq.gradient, frameIdx[tl]!, g.subarray(tl * E, (tl + 1) * E), E);
      if (!wantHessian) return;
      const kernel = this.ensureKernel(shapeVar && couple, temporal, XeK);
      const k = kin!;
      const res = await profile.timeAsync('fit.kernel-run', () => kernel.run({
        T: n, Bw: k.Bw.subarray(0, n * Vs * 9), Rh: k.Rh.subarray(0, n * 9), ME: k.ME.subarray(0, n * 5 * 3 * E),
        Gx: k.Gx.subarray(0, n * Vs * 3 * X_COLS), Lt: k.Lt.subarray(0, n * Vs * 9),
        ...(shapeVar && couple ? { MS: k.MS!.subarray(0, n * 5 * 3 * S) } : {}),
        ...(XeK ? { Yt: k.Yt!.subarray(0, n * 3 * Vs * XeK) } : {}),
      }));
      const tRoute = performance.now();
      for (let tl = 0; tl < n; tl++) {
        const idx = frameIdx[tl]!;
        const A = Float64Array.from(res.A.subarray(tl * P * P, (tl + 1) * P * P));
        if (res.GtG && iso[tl]) for (let e = 0; e < P * P; e++) A[e]! += iso[tl]! * res.GtG[tl * P * P + e]!;
        eq.addHessianIndexed(idx, A, P, scale);
        if (res.ASF) eq.addHessianCross(sharedOffsets.shape, idx, res.ASF.subarray(tl * S * P, (tl + 1) * S * P), S, P, scale);
        if (res.ACF) eq.addHessianCross(extraIdx, idx, res.ACF.subarray(tl * XeK * P, (tl + 1) * XeK * P), XeK, P, scale);
        if (res.ACS) eq.addHessianCross(extraIdx, sharedOffsets.shape, res.ACS.subarray(tl * XeK * S, (tl + 1) * XeK * S), XeK, S, scale);
      }
      profile.add('fit.hessian-route', performance.now() - tRoute);
    });

    this.lastSnapshot = snapshotAtStart;
    if (shapeVar) {
      // shape gradient Sᵀ·ȳ (the joint part was added per frame)
      const gs = new Float64Array(S);
      const Sd = m.shapeDirs;
      for (let r = 0; r < 3 * V; r++) {
        const yr = ybar![r]!;
        if (yr === 0) continue;
        const o = r * S;
        for (let l = 0; l < S; l++) gs[l]! += yr * Sd[o + l]!;
      }
      eq.addGradient(this.shape.offset, gs);
      if (wantHessian) await profile.timeAsync('fit.shape-hessian', () => this.shapeHessian(eq, Hbar15!));
    }
    if (Hreg15) {
      // offsets × shape: (Σ_t B̂ᵀ H C) Ŝ_i = H̄_aa S_i + H̄_ab (Jreg·S)_1..4 per region vertex
      const o = this.offsets!.offset;
      const JS = this.batch!.jointShapeDirs.subarray(3 * S);
      const blk = new Float64Array(3 * S);
      this.offsetRegion.forEach((i, r) => {
        blk.fill(0);
        for (let a = 0; a < 3; a++) {
          for (let c = 0; c < 15; c++) {
            const h = Hreg15[r * 45 + a * 15 + c]!;
            if (h === 0) continue;
            const src = c < 3 ? m.shapeDirs.subarray((3 * i + c) * S, (3 * i + c + 1) * S) : JS.subarray((c - 3) * S, (c - 2) * S);
            for (let l = 0; l < S; l++) blk[a * S + l]! += h * src[l]!;
          }
        }
        eq.addHessian(o + 3 * r, this.shape.offset, blk, 3, S);
      });
    }
    return costs;
  }

  /**
   * A_ss = Σ_i w_i Ŝ_iᵀ H̄15_i Ŝ_i over the Hessian subset, with Ŝ_i = [S_i; (Jreg·S)_1..4] (15 × S):
   * the S_i–S_i part as one Gram on the kernel (K̄ = √w F̄ S_i, F̄ᵀF̄ = H̄15's leading 3×3), the parts
   * through the joints in JavaScript (they are 12-dimensional).
   */
  private async shapeHessian(eq: NormalEquations, Hbar15: Float64Array): Promise<void> {
    const m = this.model, S = m.numShape, Vs = this.subset.length;
    const K = new Float32Array(3 * Vs * S);
    const F = new Float64Array(9), Haa = new Float64Array(9);
    const X = new Float64Array(S * 12); // Σ_i w S_iᵀ H̄_ab
    const Hbb = new Float64Array(144); // Σ_i w H̄_bb
    for (let si = 0; si < Vs; si++) {
      const i = this.subset[si]!, o = si * 225, w = this.subsetWeight[si]!;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) Haa[3 * a + b] = Hbar15[o + a * 15 + b]!;
      if (Haa[0] === 0 && Haa[4] === 0 && Haa[8] === 0) continue;
      sqrtFactor3(Haa, F);
      const sw = Math.sqrt(w);
      for (let e = 0; e < 9; e++) F[e]! *= sw;
      for (let a = 0; a < 3; a++) {
        const ko = (3 * si + a) * S;
        for (let b = 0; b < 3; b++) {
          const f = F[3 * a + b]!;
          if (f === 0) continue;
          const so = (3 * i + b) * S;
          for (let l = 0; l < S; l++) K[ko + l]! += f * m.shapeDirs[so + l]!;
        }
      }
      for (let a = 0; a < 3; a++) {
        const so = (3 * i + a) * S;
        for (let c = 0; c < 12; c++) {
          const h = w * Hbar15[o + a * 15 + 3 + c]!;
          if (h === 0) continue;
          for (let l = 0; l < S; l++) X[l * 12 + c]! += h * m.shapeDirs[so + l]!;
        }
      }
      for (let r = 0; r < 12; r++) for (let c = 0; c < 12; c++) Hbb[r * 12 + c]! += w * Hbar15[o + (3 + r) * 15 + 3 + c]!;
    }
    const A = Float64Array.from(await matmul(K, K, S, 3 * Vs, S, { transA: true }));
    // + X·JS + (X·JS)ᵀ + JSᵀ·Hbb·JS, JS = rows of Jreg·S for joints 1..4 (12 × S)
    const JS = this.batch!.jointShapeDirs.subarray(3 * S);
    const XJ = new Float64Array(S * S), HJ = new Float64Array(12 * S);
    for (let r = 0; r < 12; r++) for (let c = 0; c < 12; c++) {
      const h = Hbb[r * 12 + c]!;
      if (h !== 0) for (let l = 0; l < S; l++) HJ[r * S + l]! += h * JS[c * S + l]!;
    }
    for (let a = 0; a < S; a++) for (let c = 0; c < 12; c++) {
      const x = X[a * 12 + c]!;
      if (x !== 0) for (let b = 0; b < S; b++) XJ[a * S + b]! += x * JS[c * S + b]!;
    }
    for (let a = 0; a < S; a++) for (let b = 0; b < S; b++) {
      let v = XJ[a * S + b]! + XJ[b * S + a]!;
      for (let r = 0; r < 12; r++) v += JS[r * S + a]! * HJ[r * S + b]!;
      A[a * S + b]! += v;
    }
    eq.addHessian(this.shape.offset, this.shape.offset, A, S, S);
  }

  /** Offsets block (3×3 per region vertex) and its coupling with frame t's variables, exact. */
  private offsetHessian(eq: NormalEquations, t: number, st: FrameState, H: Float64Array, idx: Int32Array | undefined, ME: Float64Array): void {
    const m = this.model, E = m.numExpr, P = E + X_COLS, o = this.offsets!.offset;
    const Rh = this.headR[t]!.values, B = st.blended;
    const Bw = new Float64Array(9), HB = new Float64Array(9), blk = new Float64Array(9);
    const G = new Float64Array(3 * P), cross = new Float64Array(3 * P);
    this.offsetRegion.forEach((i, r) => {
      const bo = 12 * i;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) Bw[3 * a + b] = Rh[3 * a]! * B[bo + b]! + Rh[3 * a + 1]! * B[bo + 4 + b]! + Rh[3 * a + 2]! * B[bo + 8 + b]!;
      // HB = H_i·Bw; own block Bwᵀ H Bw
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += H[9 * i + 3 * a + c]! * Bw[3 * c + b]!;
        HB[3 * a + b] = s;
      }
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += Bw[3 * c + a]! * HB[3 * c + b]!;
        blk[3 * a + b] = s;
      }
      eq.addHessian(o + 3 * r, o + 3 * r, blk, 3, 3);
      if (!idx) return;
      this.worldJacobian(t, st, i, ME, G);
      // cross = (H Bw)ᵀ G  [3 × P]
      for (let a = 0; a < 3; a++) for (let p = 0; p < P; p++) {
        let s = 0;
        for (let c = 0; c < 3; c++) s += HB[3 * c + a]! * G[c * P + p]!;
        cross[a * P + p] = s;
      }
      eq.addHessianCross([o + 3 * r, o + 3 * r + 1, o + 3 * r + 2], idx, cross, 3, P);
    });
  }

  /**
   * World Jacobian of vertex i in frame t: G [3 × (E + 18)] over the frame's columns
   * [expr | pose | headR | headT] and, when GS is given, [3 × S] over the shape (both row-major).
   * ME / MS are the frame's joint terms (`jointTerms`).
   */
  worldJacobian(t: number, st: FrameState, i: number, ME: Float64Array, G: Float64Array, MS?: Float64Array, GS?: Float64Array): void {
    const m = this.model, E = m.numExpr, S = m.numShape, P = E + X_COLS;
    const Rh = this.headR[t]!.values, B = st.blended, h = this.headT[t]!.values, x = this.world[t]!, bo = 12 * i;
    const Bw = _bw;
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) Bw[3 * a + b] = Rh[3 * a]! * B[bo + b]! + Rh[3 * a + 1]! * B[bo + 4 + b]! + Rh[3 * a + 2]! * B[bo + 8 + b]!;
    const blend = (dirs: Float64Array, M: Float64Array, K: number, out: Float64Array, stride: number) => {
      const Z = new Float64Array(3 * K);
      for (let k = 0; k < J; k++) {
        const w = this.W[i * J + k]!;
        if (w === 0) continue;
        for (let a = 0; a < 3; a++) for (let l = 0; l < K; l++) Z[a * K + l]! += w * M[(3 * k + a) * K + l]!;
      }
      for (let a = 0; a < 3; a++) for (let l = 0; l < K; l++) {
        let s = 0;
        for (let b = 0; b < 3; b++) s += Bw[3 * a + b]! * dirs[(3 * i + b) * K + l]! + Rh[3 * a + b]! * Z[b * K + l]!;
        out[a * stride + l] = s;
      }
    };
    blend(m.exprDirs, ME, E, G, P);
    if (GS && MS) blend(m.shapeDirs, MS, S, GS, S);
    const poseCols = _poseCols;
    this.poseJac.columns(st, i, poseCols, 0, 12);
    for (let a = 0; a < 3; a++) for (let c = 0; c < 12; c++) G[a * P + E + c] = Rh[3 * a]! * poseCols[c]! + Rh[3 * a + 1]! * poseCols[12 + c]! + Rh[3 * a + 2]! * poseCols[24 + c]!;
    const ax = x[3 * i]! - h[0]!, ay = x[3 * i + 1]! - h[1]!, az = x[3 * i + 2]! - h[2]!;
    const rot = [[0, az, -ay], [-az, 0, ax], [ay, -ax, 0]];
    for (let a = 0; a < 3; a++) for (let c = 0; c < 3; c++) { G[a * P + E + 12 + c] = rot[a]![c]!; G[a * P + E + 15 + c] = a === c ? 1 : 0; }
  }

  /** Exact Hessian of explicit multi-vertex rows: frame block, shape block and their coupling. */
  private explicitHessian(eq: NormalEquations, t: number, st: FrameState, idx: Int32Array, ME: Float64Array, MS: Float64Array | undefined, rows: Array<{ vertices: ArrayLike<number>; phi: ArrayLike<number>; k: number }>): void {
    const m = this.model, E = m.numExpr, S = m.numShape, P = E + X_COLS;
    const shapeIdx = MS ? Int32Array.from({ length: S }, (_, l) => this.shape.offset + l) : undefined;
    const G = new Float64Array(3 * P), GS = MS ? new Float64Array(3 * S) : undefined;
    // all rows of the frame stacked, then one Gram product per block (not one per landmark)
    let K = 0;
    for (const r of rows) K += r.k;
    const Jf = new Float64Array(K * P), Js = MS ? new Float64Array(K * S) : undefined;
    let row0 = 0;
    for (const r of rows) {
      const n = r.vertices.length, k = r.k;
      for (let v = 0; v < n; v++) {
        this.worldJacobian(t, st, r.vertices[v]!, ME, G, MS, GS);
        for (let row = 0; row < k; row++) {
          const R = row0 + row;
          for (let a = 0; a < 3; a++) {
            const c = r.phi[row * 3 * n + 3 * v + a]!;
            if (c === 0) continue;
            for (let p = 0; p < P; p++) Jf[R * P + p]! += c * G[a * P + p]!;
            if (Js) for (let l = 0; l < S; l++) Js[R * S + l]! += c * GS![a * S + l]!;
          }
        }
      }
      row0 += k;
    }
    eq.addHessianIndexed(idx, gram(Jf, K, P, Jf, P), P);
    if (Js) {
      eq.addHessian(this.shape.offset, this.shape.offset, gram(Js, K, S, Js, S), S, S);
      eq.addHessianCross(shapeIdx!, idx, gram(Js, K, S, Jf, P), S, P);
    }
  }

  /** Current FLAME parameters of frame t as FLAME's pose [15] (global 0) and expression. */
  flamePose(t: number): Float64Array {
    const p = new Float64Array(POSE_SIZE);
    p.set(this.pose[t]!.values, 3);
    return p;
  }
}

/**
 * The vertices whose rows estimate the frame Hessian: all of them when `count` ≥ V, otherwise an
 * unequal-probability sample (systematic, deterministic) with inclusion probability π_i
 * proportional to the vertex's expression-basis energy ‖E_i‖ plus a floor (so rigid motion is seen
 * everywhere), capped at 1; each sampled vertex carries weight 1/π_i, which keeps the estimate of
 * Σ_i G_iᵀ H_i G_i unbiased while concentrating samples on the mouth and eyes, where the localised
 * expression components live.
 */
export function hessianSubset(model: FlameModel, count: number): { subset: Uint32Array; weights: Float64Array } {
  const V = model.numVertices, E = model.numExpr;
  if (count >= V) return { subset: Uint32Array.from({ length: V }, (_, i) => i), weights: new Float64Array(V).fill(1) };
  const energy = new Float64Array(V);
  let mean = 0;
  for (let i = 0; i < V; i++) {
    let e = 0;
    for (let r = 3 * i * E; r < (3 * i + 3) * E; r++) e += model.exprDirs[r]! ** 2;
    energy[i] = Math.sqrt(e);
    mean += energy[i]! / V;
  }
  // (a model without expression components: uniform)
  const w = mean > 0 ? energy.map((e) => e + 0.3 * mean) : energy.fill(1);
  // inclusion probabilities π_i = min(1, c·w_i) with Σπ = count (iterate the certainty cap)
  const pi = new Float64Array(V);
  let certain = new Uint8Array(V), budget = count;
  for (let iter = 0; iter < 20; iter++) {
    let sum = 0;
    for (let i = 0; i < V; i++) if (!certain[i]) sum += w[i]!;
    const c = budget / sum;
    let changed = false;
    for (let i = 0; i < V; i++) {
      if (certain[i]) { pi[i] = 1; continue; }
      pi[i] = c * w[i]!;
      if (pi[i]! >= 1) { certain[i] = 1; budget--; changed = true; }
    }
    if (!changed) break;
  }
  // systematic sampling along the vertex order with a fixed offset (deterministic)
  const chosen: number[] = [];
  let acc = 0.5;
  for (let i = 0; i < V; i++) {
    const before = Math.floor(acc);
    acc += Math.min(1, pi[i]!);
    if (Math.floor(acc) > before) chosen.push(i);
  }
  return { subset: Uint32Array.from(chosen), weights: Float64Array.from(chosen, (i) => 1 / Math.min(1, pi[i]!)) };
}

const _bw = new Float64Array(9), _poseCols = new Float64Array(36), _C15 = new Float64Array(45), _CH15 = new Float64Array(45);

/** Aᵀ·B for A [k × a], B [k × b] (row-major): [a × b]. */
function gram(A: Float64Array, k: number, a: number, B: Float64Array, b: number): Float64Array {
  const out = new Float64Array(a * b);
  for (let r = 0; r < k; r++) for (let i = 0; i < a; i++) {
    const v = A[r * a + i]!;
    if (v === 0) continue;
    for (let j = 0; j < b; j++) out[i * b + j]! += v * B[r * b + j]!;
  }
  return out;
}

/** yᵀ·D for y [R] and D [R × K] row-major: Σ_r y_r D_r (rows with y_r = 0 skipped). */
function rowCombination(y: Float64Array, D: Float64Array, R: number, K: number): Float64Array {
  const g = new Float64Array(K);
  for (let r = 0; r < R; r++) {
    const v = y[r]!;
    if (v === 0) continue;
    const o = r * K;
    for (let l = 0; l < K; l++) g[l]! += v * D[o + l]!;
  }
  return g;
}

function equalArrays(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** g[idx[k]] += values[k] where idx[k] ≥ 0. */
function addIndexed(g: Float64Array, idx: Int32Array, values: ArrayLike<number>, n: number): void {
  for (let k = 0; k < n; k++) { const o = idx[k]!; if (o >= 0) g[o]! += values[k]!; }
}

/** gradient[idx[k]] += Σ_j M_jᵀ sW_j for a K-column joint term M [J*3*K] (idx from position at0). */
function addJointGradient(eq: NormalEquations, idx: ArrayLike<number>, at0: number, M: Float64Array, sW: Float64Array, K: number): void {
  for (let j = 0; j < J; j++) {
    const s0 = sW[3 * j]!, s1 = sW[3 * j + 1]!, s2 = sW[3 * j + 2]!;
    if (s0 === 0 && s1 === 0 && s2 === 0) continue;
    const o0 = 3 * j * K, o1 = o0 + K, o2 = o1 + K;
    for (let l = 0; l < K; l++) {
      const o = idx[at0 + l]!;
      if (o >= 0) eq.gradient[o]! += M[o0 + l]! * s0 + M[o1 + l]! * s1 + M[o2 + l]! * s2;
    }
  }
}

