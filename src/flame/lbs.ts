/**
 * FLAME evaluation: blendshapes, joint regression, pose correctives and linear blend skinning,
 * exactly as FLAME (and smplx's `lbs`) define it, plus an incremental evaluator that keeps the
 * identity fixed and analytic Jacobians of the vertices.
 *
 * Convention for per-vertex offsets δ (FlowFace's M(β, δ; ψ, θ)): δ is added to the shaped
 * template after joint regression, so joints depend on β and ψ only.
 */
import { rodrigues, leftJacobianSO3, mul3 } from './rotation.js';
import { type FlameModel, NUM_JOINTS, POSE_SIZE, POSE_FEATURES, descendantTable } from './model.js';

export interface FlameParams {
  /** β: up to S shape coefficients (zero-padded). */
  shape?: ArrayLike<number>;
  /** ψ: up to E expression coefficients (zero-padded). */
  expr?: ArrayLike<number>;
  /** θ: axis-angle per joint [global, neck, jaw, left eye, right eye], radians, [15]. */
  pose?: ArrayLike<number>;
  /** Global translation, metres, [3]. */
  transl?: ArrayLike<number>;
  /** δ: per-vertex offsets, metres, [V*3]. */
  offsets?: ArrayLike<number>;
}

// ---------------------------------------------------------------------------------------------
// The steps, each a small pure function over flat arrays.

/**
 * 1. Blendshapes: out[r] = base[r] + Σ_l coeffs[l] · dirs[r*K + l], r over V*3 rows.
 * dirs: [R*K]; coeffs may be shorter than K (zero-padded). out may alias base.
 */
export function blendShapes(out: Float64Array, base: ArrayLike<number>, dirs: Float64Array, K: number, coeffs: ArrayLike<number>): Float64Array {
  const n = coeffs.length;
  if (n > K) throw new RangeError(`blendShapes: ${n} coefficients for ${K} components`);
  const R = out.length;
  const n4 = n & ~3;
  for (let r = 0; r < R; r++) {
    const o = r * K;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let l = 0; l < n4; l += 4) {
      s0 += dirs[o + l]! * coeffs[l]!;
      s1 += dirs[o + l + 1]! * coeffs[l + 1]!;
      s2 += dirs[o + l + 2]! * coeffs[l + 2]!;
      s3 += dirs[o + l + 3]! * coeffs[l + 3]!;
    }
    for (let l = n4; l < n; l++) s0 += dirs[o + l]! * coeffs[l]!;
    out[r] = base[r]! + (s0 + s1) + (s2 + s3);
  }
  return out;
}

/** 2. Joints from the shaped template: out[j,k] = Σ_i jRegressor[j,i] · v[i,k]. out: [J*3]. */
export function regressJoints(out: Float64Array, jRegressor: Float64Array, v: ArrayLike<number>, V: number): Float64Array {
  const J = jRegressor.length / V;
  for (let j = 0; j < J; j++) {
    let x = 0, y = 0, z = 0;
    const o = j * V;
    for (let i = 0; i < V; i++) {
      const w = jRegressor[o + i]!;
      if (w === 0) continue;
      x += w * v[3 * i]!; y += w * v[3 * i + 1]!; z += w * v[3 * i + 2]!;
    }
    out[3 * j] = x; out[3 * j + 1] = y; out[3 * j + 2] = z;
  }
  return out;
}

/** Local rotation matrices of all joints from axis-angle pose. out: [J*9]. */
export function poseRotations(out: Float64Array, pose: ArrayLike<number>): Float64Array {
  for (let j = 0; j < NUM_JOINTS; j++) rodrigues(out, 9 * j, pose, 3 * j);
  return out;
}

/** 3a. Pose-corrective features: out[9(j−1)+e] = (R_j − I)[e] for joints j = 1..4. out: [36]. */
export function poseFeatures(out: Float64Array, rotations: Float64Array): Float64Array {
  for (let j = 1; j < NUM_JOINTS; j++) {
    for (let e = 0; e < 9; e++) out[9 * (j - 1) + e] = rotations[9 * j + e]! - (e % 4 === 0 ? 1 : 0);
  }
  return out;
}

/**
 * 4a. Kinematic chain. Inputs: local rotations [J*9], rest joints [J*3], parents [J].
 * Outputs: world rotations Rw [J*9], world joint positions T [J*3] and skinning transforms
 * A [J*12] (3×4 row-major, A_j = G_j · [I | −J_j], so a rest-pose point x moves to Rw_j x + c_j).
 */
export function kinematics(Rw: Float64Array, T: Float64Array, A: Float64Array, rotations: Float64Array, joints: ArrayLike<number>, parents: Int32Array): void {
  const J = parents.length;
  for (let j = 0; j < J; j++) {
    const p = parents[j]!;
    if (p < 0) {
      for (let e = 0; e < 9; e++) Rw[9 * j + e] = rotations[9 * j + e]!;
      T[3 * j] = joints[3 * j]!; T[3 * j + 1] = joints[3 * j + 1]!; T[3 * j + 2] = joints[3 * j + 2]!;
    } else {
      mul3(Rw, 9 * j, Rw, 9 * p, rotations, 9 * j);
      const dx = joints[3 * j]! - joints[3 * p]!, dy = joints[3 * j + 1]! - joints[3 * p + 1]!, dz = joints[3 * j + 2]! - joints[3 * p + 2]!;
      for (let k = 0; k < 3; k++) {
        T[3 * j + k] = T[3 * p + k]! + Rw[9 * p + 3 * k]! * dx + Rw[9 * p + 3 * k + 1]! * dy + Rw[9 * p + 3 * k + 2]! * dz;
      }
    }
  }
  for (let j = 0; j < J; j++) {
    const jx = joints[3 * j]!, jy = joints[3 * j + 1]!, jz = joints[3 * j + 2]!;
    for (let k = 0; k < 3; k++) {
      const r0 = Rw[9 * j + 3 * k]!, r1 = Rw[9 * j + 3 * k + 1]!, r2 = Rw[9 * j + 3 * k + 2]!;
      A[12 * j + 4 * k] = r0; A[12 * j + 4 * k + 1] = r1; A[12 * j + 4 * k + 2] = r2;
      A[12 * j + 4 * k + 3] = T[3 * j + k]! - (r0 * jx + r1 * jy + r2 * jz);
    }
  }
}

/**
 * 4b. Linear blend skinning: out_i = Σ_j w_ij A_j [v_i; 1] + transl. Also writes the blended
 * per-vertex transform into `blended` [V*12] when given (used by the Jacobians).
 */
export function skin(out: Float64Array, posed: ArrayLike<number>, A: Float64Array, weights: Float64Array, transl: ArrayLike<number> | undefined, blended?: Float64Array): Float64Array {
  const V = posed.length / 3;
  const J = A.length / 12;
  const tx = transl ? transl[0]! : 0, ty = transl ? transl[1]! : 0, tz = transl ? transl[2]! : 0;
  const m = _blend;
  for (let i = 0; i < V; i++) {
    m.fill(0);
    for (let j = 0; j < J; j++) {
      const w = weights[i * J + j]!;
      if (w === 0) continue;
      for (let e = 0; e < 12; e++) m[e]! += w * A[12 * j + e]!;
    }
    const x = posed[3 * i]!, y = posed[3 * i + 1]!, z = posed[3 * i + 2]!;
    out[3 * i] = m[0]! * x + m[1]! * y + m[2]! * z + m[3]! + tx;
    out[3 * i + 1] = m[4]! * x + m[5]! * y + m[6]! * z + m[7]! + ty;
    out[3 * i + 2] = m[8]! * x + m[9]! * y + m[10]! * z + m[11]! + tz;
    if (blended) for (let e = 0; e < 12; e++) blended[12 * i + e] = m[e]!;
  }
  return out;
}
const _blend = new Float64Array(12);

// ---------------------------------------------------------------------------------------------

/**
 * FLAME vertices from all parameters, computed from scratch (the reference definition).
 * Returns out: Float64Array [V*3], metres.
 */
export function lbs(model: FlameModel, params: FlameParams, out = new Float64Array(model.numVertices * 3)): Float64Array {
  const V = model.numVertices;
  if (model.jointMaps) throw new Error(`lbs: model '${model.source}' is restricted to a vertex subset; use FlameEvaluator`);
  const pose = checkedPose(params.pose);
  // 1. shape and expression blend: v[i,k] = T[i,k] + Σ_l β_l S[i,k,l] + Σ_l ψ_l E[i,k,l]
  const shaped = blendShapes(new Float64Array(V * 3), model.vTemplate, model.shapeDirs, model.numShape, params.shape ?? []);
  blendShapes(shaped, shaped, model.exprDirs, model.numExpr, params.expr ?? []);
  // 2. joints from the shaped template: J = J_regressor · v
  const joints = regressJoints(new Float64Array(NUM_JOINTS * 3), model.jRegressor, shaped, V);
  if (params.offsets) addOffsets(shaped, params.offsets, V);
  // 3. pose correctives: v += P · vec(R_j − I), j = 1..4
  const rotations = poseRotations(new Float64Array(NUM_JOINTS * 9), pose);
  const feat = poseFeatures(new Float64Array(POSE_FEATURES), rotations);
  blendShapes(shaped, shaped, model.poseDirs, POSE_FEATURES, feat);
  // 4. world transforms down the kinematic tree, then skin: v'_i = Σ_j w_ij G_j · v_i + t
  const Rw = new Float64Array(NUM_JOINTS * 9), T = new Float64Array(NUM_JOINTS * 3), A = new Float64Array(NUM_JOINTS * 12);
  kinematics(Rw, T, A, rotations, joints, model.parents);
  return skin(out, shaped, A, model.weights, params.transl);
}

function addOffsets(v: Float64Array, offsets: ArrayLike<number>, V: number): void {
  if (offsets.length !== V * 3) throw new RangeError(`FLAME: offsets have ${offsets.length} entries, expected ${V * 3}`);
  for (let r = 0; r < V * 3; r++) v[r]! += offsets[r]!;
}

const ZERO_POSE = new Float64Array(POSE_SIZE);
function checkedPose(pose: ArrayLike<number> | undefined): ArrayLike<number> {
  if (!pose) return ZERO_POSE;
  if (pose.length !== POSE_SIZE) throw new RangeError(`FLAME: pose has ${pose.length} entries, expected ${POSE_SIZE} (axis-angle for global, neck, jaw, left eye, right eye)`);
  return pose;
}

/** Column blocks of a vertex Jacobian, in this order: shape | expr | pose | transl. */
export interface JacobianBlocks {
  shape?: boolean;
  expr?: boolean;
  pose?: boolean;
  transl?: boolean;
}

/** Column offsets of each requested block and the total column count. */
export function jacobianLayout(model: FlameModel, blocks: JacobianBlocks): { shape: number; expr: number; pose: number; transl: number; cols: number } {
  let c = 0;
  const take = (on: boolean | undefined, n: number): number => { if (!on) return -1; const at = c; c += n; return at; };
  const shape = take(blocks.shape, model.numShape);
  const expr = take(blocks.expr, model.numExpr);
  const pose = take(blocks.pose, POSE_SIZE);
  const transl = take(blocks.transl, 3);
  return { shape, expr, pose, transl, cols: c };
}

/**
 * Incremental FLAME evaluation with the identity fixed.
 *
 * `setIdentity(β, δ)` computes the identity-dependent part once: v_id = T + S·β and the joints'
 * identity part. `evaluate(ψ, θ, t)` then costs the expression blend, the pose correctives and the
 * skinning only; the shape blendshapes are not recomputed. After `evaluate`, `jacobian()` gives
 * ∂vertices/∂(β, ψ, θ, t) at that point.
 */
export class FlameEvaluator {
  readonly model: FlameModel;
  readonly V: number;
  /** Current identity: β [S] and δ [V*3]. */
  readonly shape: Float64Array;
  readonly offsets: Float64Array;
  hasOffsets = false;

  /** Jreg·S: [J*3, S] and Jreg·E: [J*3, E] and Jreg·T: [J*3]; joints are linear in β and ψ. */
  private readonly jointShapeDirs: Float64Array;
  private readonly jointExprDirs: Float64Array;
  private readonly jointTemplate: Float64Array;
  /** Identity part: v_id = T + S·β [V*3] and J_id = Jreg·v_id [J*3]. */
  private readonly vIdentity: Float64Array;
  private readonly jIdentity: Float64Array;
  private readonly descendants: Uint8Array;

  // State of the last evaluation (all read by jacobian()).
  readonly expr: Float64Array;
  readonly pose = new Float64Array(POSE_SIZE);
  readonly transl = new Float64Array(3);
  /** Rest joints [J*3], local and world rotations [J*9], world joint positions [J*3], transforms [J*12]. */
  readonly joints = new Float64Array(NUM_JOINTS * 3);
  readonly rotations = new Float64Array(NUM_JOINTS * 9);
  readonly worldRotations = new Float64Array(NUM_JOINTS * 9);
  readonly worldJoints = new Float64Array(NUM_JOINTS * 3);
  readonly transforms = new Float64Array(NUM_JOINTS * 12);
  readonly features = new Float64Array(POSE_FEATURES);
  /** Posed template before skinning [V*3], blended per-vertex transforms [V*12], output [V*3]. */
  readonly posed: Float64Array;
  readonly blended: Float64Array;
  readonly vertices: Float64Array;
  private evaluated = false;

  constructor(model: FlameModel) {
    this.model = model;
    const V = (this.V = model.numVertices);
    const J = NUM_JOINTS;
    this.shape = new Float64Array(model.numShape);
    this.offsets = new Float64Array(V * 3);
    this.expr = new Float64Array(model.numExpr);
    this.posed = new Float64Array(V * 3);
    this.blended = new Float64Array(V * 12);
    this.vertices = new Float64Array(V * 3);
    const maps = jointMapsOf(model);
    this.jointTemplate = maps.template;
    this.jointShapeDirs = maps.shape;
    this.jointExprDirs = maps.expr;
    this.vIdentity = new Float64Array(model.vTemplate);
    this.jIdentity = new Float64Array(this.jointTemplate);
    this.descendants = descendantTable(model.parents);
  }

  /** Fixes the identity: β (zero-padded) and optional offsets δ [V*3]. */
  setIdentity(shape: ArrayLike<number>, offsets?: ArrayLike<number>): void {
    const S = this.model.numShape;
    if (shape.length > S) throw new RangeError(`FLAME: ${shape.length} shape coefficients for a model with ${S}`);
    this.shape.fill(0);
    this.shape.set(shape);
    blendShapes(this.vIdentity, this.model.vTemplate, this.model.shapeDirs, S, this.shape);
    blendShapes(this.jIdentity, this.jointTemplate, this.jointShapeDirs, S, this.shape);
    if (offsets) {
      if (offsets.length !== this.V * 3) throw new RangeError(`FLAME: offsets have ${offsets.length} entries, expected ${this.V * 3}`);
      this.offsets.set(offsets);
      this.hasOffsets = true;
    } else {
      this.offsets.fill(0);
      this.hasOffsets = false;
    }
    this.evaluated = false;
  }

  /**
   * Vertices for a frame with the current identity. expr: ψ (zero-padded), pose: [15], transl: [3].
   * Returns `this.vertices` (or copies into `out`).
   */
  evaluate(expr: ArrayLike<number>, pose?: ArrayLike<number>, transl?: ArrayLike<number>, out?: Float64Array): Float64Array {
    const m = this.model;
    const E = m.numExpr;
    if (expr.length > E) throw new RangeError(`FLAME: ${expr.length} expression coefficients for a model with ${E}`);
    this.expr.fill(0);
    this.expr.set(expr);
    this.pose.set(checkedPose(pose));
    if (transl) this.transl.set(transl as ArrayLike<number>); else this.transl.fill(0);
    // 1. expression blend on top of the cached identity
    blendShapes(this.posed, this.vIdentity, m.exprDirs, E, this.expr);
    // 2. joints: J = J_id + (Jreg·E)·ψ
    blendShapes(this.joints, this.jIdentity, this.jointExprDirs, E, this.expr);
    if (this.hasOffsets) for (let r = 0; r < this.posed.length; r++) this.posed[r]! += this.offsets[r]!;
    // 3. pose correctives
    poseRotations(this.rotations, this.pose);
    poseFeatures(this.features, this.rotations);
    blendShapes(this.posed, this.posed, m.poseDirs, POSE_FEATURES, this.features);
    // 4. kinematic chain and skinning
    kinematics(this.worldRotations, this.worldJoints, this.transforms, this.rotations, this.joints, m.parents);
    skin(this.vertices, this.posed, this.transforms, m.weights, this.transl, this.blended);
    this.evaluated = true;
    if (out) { out.set(this.vertices); return out; }
    return this.vertices;
  }

  /** Evaluates all parameters at once (sets the identity, then evaluates). */
  evaluateParams(params: FlameParams, out?: Float64Array): Float64Array {
    this.setIdentity(params.shape ?? [], params.offsets);
    return this.evaluate(params.expr ?? [], params.pose, params.transl, out);
  }

  /**
   * Jacobian of the vertices at the last evaluation, row-major [3n, cols] for the rows of the
   * given vertices (all when `vertices` is undefined): out[(3r+k)*cols + c] = ∂v[vertex_r, k]/∂p_c,
   * columns laid out by `jacobianLayout(model, blocks)`.
   *
   * With blended transform (R_i | c_i), world rotations Rw, world joint positions T and
   * W_ik = Σ_{m below or at k} w_im:
   * - ∂v_i/∂t = I
   * - ∂v_i/∂β = R_i S_i + Σ_k W_ik (Rw_parent(k) − Rw_k) (Jreg S)_k        (same for ψ with E)
   * - ∂v_i/∂θ_ja = Ω_ja × (Σ_{m below or at j} w_im y_im − W_ij T_j) + R_i P_i ∂vec(R_j − I)/∂θ_ja
   *   with Ω_ja = Rw_parent(j) J_l(θ_j) e_a and y_im = Rw_m x_i + c_m the point skinned by joint m.
   */
  jacobian(blocks: JacobianBlocks, vertices?: ArrayLike<number>, out?: Float64Array): Float64Array {
    if (!this.evaluated) throw new Error('FlameEvaluator.jacobian: call evaluate() first');
    const m = this.model;
    const J = NUM_JOINTS, S = m.numShape, E = m.numExpr;
    const layout = jacobianLayout(m, blocks);
    const cols = layout.cols;
    const n = vertices ? vertices.length : this.V;
    const result = out ?? new Float64Array(3 * n * cols);
    if (result.length < 3 * n * cols) throw new RangeError(`FlameEvaluator.jacobian: out has ${result.length} entries, needs ${3 * n * cols}`);
    result.fill(0, 0, 3 * n * cols);
    const Rw = this.worldRotations;

    // Per-joint terms of the identity/expression Jacobians through the joint positions:
    // M_k = (Rw_parent(k) − Rw_k) · (Jreg·D)_k, [3 × K] for each joint k.
    const Q = new Float64Array(J * 9);
    for (let k = 0; k < J; k++) {
      const p = m.parents[k]!;
      for (let e = 0; e < 9; e++) Q[9 * k + e] = (p < 0 ? (e % 4 === 0 ? 1 : 0) : Rw[9 * p + e]!) - Rw[9 * k + e]!;
    }
    const jointTerm = (dirs: Float64Array, K: number): Float64Array => {
      const M = new Float64Array(J * 3 * K);
      for (let k = 0; k < J; k++) {
        for (let a = 0; a < 3; a++) {
          const q0 = Q[9 * k + 3 * a]!, q1 = Q[9 * k + 3 * a + 1]!, q2 = Q[9 * k + 3 * a + 2]!;
          const o = (3 * k + a) * K;
          const d0 = (3 * k) * K, d1 = (3 * k + 1) * K, d2 = (3 * k + 2) * K;
          for (let l = 0; l < K; l++) M[o + l] = q0 * dirs[d0 + l]! + q1 * dirs[d1 + l]! + q2 * dirs[d2 + l]!;
        }
      }
      return M;
    };
    const MS = layout.shape >= 0 ? jointTerm(this.jointShapeDirs, S) : undefined;
    const ME = layout.expr >= 0 ? jointTerm(this.jointExprDirs, E) : undefined;

    // Pose: world angular velocities Ω [J*3 params][3] and ∂R_j/∂θ_ja [J][3][9].
    const omega = new Float64Array(J * 3 * 3);
    const dR = new Float64Array(J * 3 * 9);
    if (layout.pose >= 0) {
      const Jl = new Float64Array(9);
      for (let j = 0; j < J; j++) {
        leftJacobianSO3(Jl, 0, this.pose, 3 * j);
        const p = m.parents[j]!;
        for (let a = 0; a < 3; a++) {
          const wx = Jl[a]!, wy = Jl[3 + a]!, wz = Jl[6 + a]!; // local ω_a = J_l e_a
          const o = (3 * j + a) * 3;
          if (p < 0) { omega[o] = wx; omega[o + 1] = wy; omega[o + 2] = wz; }
          else {
            omega[o] = Rw[9 * p]! * wx + Rw[9 * p + 1]! * wy + Rw[9 * p + 2]! * wz;
            omega[o + 1] = Rw[9 * p + 3]! * wx + Rw[9 * p + 4]! * wy + Rw[9 * p + 5]! * wz;
            omega[o + 2] = Rw[9 * p + 6]! * wx + Rw[9 * p + 7]! * wy + Rw[9 * p + 8]! * wz;
          }
          // ∂R_j/∂θ_ja = [ω_a]× R_j
          const R = this.rotations, ro = 9 * j, d = (3 * j + a) * 9;
          for (let c = 0; c < 3; c++) {
            const r0 = R[ro + c]!, r1 = R[ro + 3 + c]!, r2 = R[ro + 6 + c]!;
            dR[d + c] = wy * r2 - wz * r1;
            dR[d + 3 + c] = wz * r0 - wx * r2;
            dR[d + 6 + c] = wx * r1 - wy * r0;
          }
        }
      }
    }

    const W = new Float64Array(J); // W_ik
    const Y = new Float64Array(J * 3); // Σ_{m ∈ desc(k)} w_im y_im
    const y = new Float64Array(3);
    const pc = new Float64Array(3);
    for (let r = 0; r < n; r++) {
      const i = vertices ? vertices[r]! : r;
      const B = this.blended, bo = 12 * i;
      const rows = [(3 * r) * cols, (3 * r + 1) * cols, (3 * r + 2) * cols];
      // Descendant-summed weights and skinned points.
      W.fill(0); Y.fill(0);
      const x0 = this.posed[3 * i]!, x1 = this.posed[3 * i + 1]!, x2 = this.posed[3 * i + 2]!;
      for (let mm = 0; mm < J; mm++) {
        const w = m.weights[i * J + mm]!;
        if (w === 0) continue;
        const A = this.transforms, ao = 12 * mm;
        y[0] = A[ao]! * x0 + A[ao + 1]! * x1 + A[ao + 2]! * x2 + A[ao + 3]!;
        y[1] = A[ao + 4]! * x0 + A[ao + 5]! * x1 + A[ao + 6]! * x2 + A[ao + 7]!;
        y[2] = A[ao + 8]! * x0 + A[ao + 9]! * x1 + A[ao + 10]! * x2 + A[ao + 11]!;
        for (let k = 0; k < J; k++) {
          if (!this.descendants[k * J + mm]) continue;
          W[k]! += w;
          Y[3 * k]! += w * y[0]!; Y[3 * k + 1]! += w * y[1]!; Y[3 * k + 2]! += w * y[2]!;
        }
      }
      const blendBlock = (dirs: Float64Array, K: number, M: Float64Array, col0: number): void => {
        for (let a = 0; a < 3; a++) {
          const b0 = B[bo + 4 * a]!, b1 = B[bo + 4 * a + 1]!, b2 = B[bo + 4 * a + 2]!;
          const d0 = (3 * i) * K, d1 = (3 * i + 1) * K, d2 = (3 * i + 2) * K;
          const row = rows[a]! + col0;
          for (let l = 0; l < K; l++) result[row + l] = b0 * dirs[d0 + l]! + b1 * dirs[d1 + l]! + b2 * dirs[d2 + l]!;
          for (let k = 0; k < J; k++) {
            const wk = W[k]!;
            if (wk === 0) continue;
            const mo = (3 * k + a) * K;
            for (let l = 0; l < K; l++) result[row + l]! += wk * M[mo + l]!;
          }
        }
      };
      if (MS) blendBlock(m.shapeDirs, S, MS, layout.shape);
      if (ME) blendBlock(m.exprDirs, E, ME, layout.expr);
      if (layout.pose >= 0) {
        for (let j = 0; j < J; j++) {
          const wj = W[j]!;
          const px = Y[3 * j]! - wj * this.worldJoints[3 * j]!, py = Y[3 * j + 1]! - wj * this.worldJoints[3 * j + 1]!, pz = Y[3 * j + 2]! - wj * this.worldJoints[3 * j + 2]!;
          for (let a = 0; a < 3; a++) {
            const o = (3 * j + a) * 3;
            const ox = omega[o]!, oy = omega[o + 1]!, oz = omega[o + 2]!;
            let gx = 0, gy = 0, gz = 0;
            if (wj !== 0) { gx = oy * pz - oz * py; gy = oz * px - ox * pz; gz = ox * py - oy * px; }
            if (j >= 1) {
              // pose-corrective: R_i · P_i · ∂vec(R_j − I)/∂θ_ja
              const f0 = 9 * (j - 1), d = (3 * j + a) * 9;
              for (let k = 0; k < 3; k++) {
                const po = (3 * i + k) * POSE_FEATURES + f0;
                let s = 0;
                for (let e = 0; e < 9; e++) s += m.poseDirs[po + e]! * dR[d + e]!;
                pc[k] = s;
              }
              gx += B[bo]! * pc[0]! + B[bo + 1]! * pc[1]! + B[bo + 2]! * pc[2]!;
              gy += B[bo + 4]! * pc[0]! + B[bo + 5]! * pc[1]! + B[bo + 6]! * pc[2]!;
              gz += B[bo + 8]! * pc[0]! + B[bo + 9]! * pc[1]! + B[bo + 10]! * pc[2]!;
            }
            const c = layout.pose + 3 * j + a;
            result[rows[0]! + c] = gx; result[rows[1]! + c] = gy; result[rows[2]! + c] = gz;
          }
        }
      }
      if (layout.transl >= 0) {
        result[rows[0]! + layout.transl] = 1;
        result[rows[1]! + layout.transl + 1] = 1;
        result[rows[2]! + layout.transl + 2] = 1;
      }
    }
    return result;
  }

  /** Blended skinning rotation R_i of vertex i (= ∂v_i/∂δ_i), written into out[o..o+9]. */
  skinRotation(out: Float64Array, o: number, i: number): Float64Array {
    const B = this.blended, b = 12 * i;
    out[o] = B[b]!; out[o + 1] = B[b + 1]!; out[o + 2] = B[b + 2]!;
    out[o + 3] = B[b + 4]!; out[o + 4] = B[b + 5]!; out[o + 5] = B[b + 6]!;
    out[o + 6] = B[b + 8]!; out[o + 7] = B[b + 9]!; out[o + 8] = B[b + 10]!;
    return out;
  }
}

/** The joints as linear maps of β and ψ: the model's own `jointMaps`, or regressed from its vertices. */
export function jointMapsOf(model: FlameModel): { template: Float64Array; shape: Float64Array; expr: Float64Array } {
  if (model.jointMaps) return model.jointMaps;
  const V = model.numVertices;
  return {
    template: regressJoints(new Float64Array(NUM_JOINTS * 3), model.jRegressor, model.vTemplate, V),
    shape: regressDirs(model.jRegressor, model.shapeDirs, V, model.numShape),
    expr: regressDirs(model.jRegressor, model.exprDirs, V, model.numExpr),
  };
}

/** Joint regressor applied to blendshapes, (Jreg · D): [J*3, K] from dirs [V*3, K]. */
export function regressDirs(jRegressor: Float64Array, dirs: Float64Array, V: number, K: number): Float64Array {
  const J = jRegressor.length / V;
  const out = new Float64Array(J * 3 * K);
  for (let j = 0; j < J; j++) {
    for (let i = 0; i < V; i++) {
      const w = jRegressor[j * V + i]!;
      if (w === 0) continue;
      for (let k = 0; k < 3; k++) {
        const o = (3 * j + k) * K, d = (3 * i + k) * K;
        for (let l = 0; l < K; l++) out[o + l]! += w * dirs[d + l]!;
      }
    }
  }
  return out;
}
