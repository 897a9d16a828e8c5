/**
 * Pieces of the FLAME vertex Jacobian for the fitter, computed from one frame's kinematic state
 * (see `FrameState`), in model space (before the head's rigid transform). With the blended
 * per-vertex transform (B_i | c_i), descendant-summed weights W_ik = Σ_{m at or below k} w_im and
 * Q_k = Rw_parent(k) − Rw_k:
 *
 *   ∂v_i/∂ψ = B_i E_i + Σ_k W_ik M_k,   M_k = Q_k (Jreg·E)_k                [3 × E]   (same for β with S)
 *   ∂v_i/∂θ_ja = Ω_ja × (Σ_{m≤j} w_im y_im − W_ij T_j) + B_i P_i ∂vec(R_j − I)/∂θ_ja
 *
 * (derivation and finite-difference checks: src/flame/lbs.ts `FlameEvaluator.jacobian`).
 */
import type { FlameModel } from '../flame/model.js';
import { NUM_JOINTS, POSE_FEATURES, descendantTable } from '../flame/model.js';
import { leftJacobianSO3 } from '../flame/rotation.js';
import type { FrameState } from '../flame/batch.js';

const J = NUM_JOINTS;

/** W [V*J]: weight of joint k and everything below it, per vertex. */
export function descendantWeights(model: FlameModel): Float64Array {
  const V = model.numVertices;
  const below = descendantTable(model.parents);
  const W = new Float64Array(V * J);
  for (let i = 0; i < V; i++) {
    for (let k = 0; k < J; k++) {
      let s = 0;
      for (let m = 0; m < J; m++) if (below[k * J + m]) s += model.weights[i * J + m]!;
      W[i * J + k] = s;
    }
  }
  return W;
}

/** M [J*3*K]: per joint k, Q_k · (Jreg·D)_k with D the blendshapes (jointDirs = Jreg·D [J*3, K]). */
export function jointTerms(out: Float64Array, state: FrameState, parents: Int32Array, jointDirs: Float64Array, K: number): Float64Array {
  const Rw = state.worldRotations;
  for (let k = 0; k < J; k++) {
    const p = parents[k]!;
    for (let a = 0; a < 3; a++) {
      const q = [0, 1, 2].map((b) => (p < 0 ? (a === b ? 1 : 0) : Rw[9 * p + 3 * a + b]!) - Rw[9 * k + 3 * a + b]!);
      const o = (3 * k + a) * K;
      const d0 = 3 * k * K, d1 = (3 * k + 1) * K, d2 = (3 * k + 2) * K;
      for (let l = 0; l < K; l++) out[o + l] = q[0]! * jointDirs[d0 + l]! + q[1]! * jointDirs[d1 + l]! + q[2]! * jointDirs[d2 + l]!;
    }
  }
  return out;
}

/**
 * World angular velocities Ω [J*3 params × 3] and ∂R_j/∂θ_ja [J*3 × 9] for the frame's pose.
 */
export function poseDerivatives(state: FrameState, parents: Int32Array, omega: Float64Array, dR: Float64Array): void {
  const Jl = _Jl, Rw = state.worldRotations, R = state.rotations;
  for (let j = 0; j < J; j++) {
    leftJacobianSO3(Jl, 0, state.pose, 3 * j);
    const p = parents[j]!;
    for (let a = 0; a < 3; a++) {
      const wx = Jl[a]!, wy = Jl[3 + a]!, wz = Jl[6 + a]!;
      const o = (3 * j + a) * 3;
      if (p < 0) { omega[o] = wx; omega[o + 1] = wy; omega[o + 2] = wz; }
      else {
        omega[o] = Rw[9 * p]! * wx + Rw[9 * p + 1]! * wy + Rw[9 * p + 2]! * wz;
        omega[o + 1] = Rw[9 * p + 3]! * wx + Rw[9 * p + 4]! * wy + Rw[9 * p + 5]! * wz;
        omega[o + 2] = Rw[9 * p + 6]! * wx + Rw[9 * p + 7]! * wy + Rw[9 * p + 8]! * wz;
      }
      const ro = 9 * j, d = (3 * j + a) * 9;
      for (let c = 0; c < 3; c++) {
        const r0 = R[ro + c]!, r1 = R[ro + 3 + c]!, r2 = R[ro + 6 + c]!;
        dR[d + c] = wy * r2 - wz * r1;
        dR[d + 3 + c] = wz * r0 - wx * r2;
        dR[d + 6 + c] = wx * r1 - wy * r0;
      }
    }
  }
}
const _Jl = new Float64Array(9);

/** Σ_{m at or below j} w_im y_im − W_ij T_j for vertex i and every joint j: out [J*3]. */
function leverArms(out: Float64Array, model: FlameModel, W: Float64Array, below: Uint8Array, state: FrameState, i: number): void {
  out.fill(0);
  const x0 = state.posed[3 * i]!, x1 = state.posed[3 * i + 1]!, x2 = state.posed[3 * i + 2]!;
  const A = state.transforms;
  for (let m = 0; m < J; m++) {
    const w = model.weights[i * J + m]!;
    if (w === 0) continue;
    if (w === 1) {
      // one joint: the vertex is y_im itself for m and every joint above it
      const ao = 12 * m;
      const y0 = A[ao]! * x0 + A[ao + 1]! * x1 + A[ao + 2]! * x2 + A[ao + 3]!;
      const y1 = A[ao + 4]! * x0 + A[ao + 5]! * x1 + A[ao + 6]! * x2 + A[ao + 7]!;
      const y2 = A[ao + 8]! * x0 + A[ao + 9]! * x1 + A[ao + 10]! * x2 + A[ao + 11]!;
      for (let k = 0; k < J; k++) {
        if (!below[k * J + m]) continue;
        out[3 * k] = y0 - state.worldJoints[3 * k]!; out[3 * k + 1] = y1 - state.worldJoints[3 * k + 1]!; out[3 * k + 2] = y2 - state.worldJoints[3 * k + 2]!;
      }
      return;
    }
    const ao = 12 * m;
    const y0 = A[ao]! * x0 + A[ao + 1]! * x1 + A[ao + 2]! * x2 + A[ao + 3]!;
    const y1 = A[ao + 4]! * x0 + A[ao + 5]! * x1 + A[ao + 6]! * x2 + A[ao + 7]!;
    const y2 = A[ao + 8]! * x0 + A[ao + 9]! * x1 + A[ao + 10]! * x2 + A[ao + 11]!;
    for (let k = 0; k < J; k++) {
      if (!below[k * J + m]) continue;
      out[3 * k]! += w * y0; out[3 * k + 1]! += w * y1; out[3 * k + 2]! += w * y2;
    }
  }
  for (let k = 0; k < J; k++) {
    const wk = W[i * J + k]!;
    out[3 * k]! -= wk * state.worldJoints[3 * k]!;
    out[3 * k + 1]! -= wk * state.worldJoints[3 * k + 1]!;
    out[3 * k + 2]! -= wk * state.worldJoints[3 * k + 2]!;
  }
}

/** Cached per-model data for pose Jacobians. */
export class PoseJacobian {
  readonly model: FlameModel;
  readonly W: Float64Array;
  private readonly below: Uint8Array;
  private readonly omega = new Float64Array(J * 9);
  private readonly dR = new Float64Array(J * 27);
  private readonly arm = new Float64Array(J * 3);
  /** Joints whose pose columns are produced (default: neck, jaw, left eye, right eye). */
  readonly joints: number[];

  constructor(model: FlameModel, W: Float64Array, joints = [1, 2, 3, 4]) {
    this.model = model;
    this.W = W;
    this.below = descendantTable(model.parents);
    this.joints = joints;
  }

  /** Prepares Ω and ∂R for a frame. */
  setFrame(state: FrameState): void {
    poseDerivatives(state, this.model.parents, this.omega, this.dR);
  }

  /**
   * Model-space columns ∂v_i/∂θ for the configured joints, written into out at out[o + k·stride + c]
   * for coordinate k (0..2) and column c (0..3·joints−1).
   */
  columns(state: FrameState, i: number, out: Float64Array, o: number, stride: number): void {
    const m = this.model, B = state.blended, bo = 12 * i;
    leverArms(this.arm, m, this.W, this.below, state, i);
    let c = 0;
    for (const j of this.joints) {
      const px = this.arm[3 * j]!, py = this.arm[3 * j + 1]!, pz = this.arm[3 * j + 2]!;
      const wj = this.W[i * J + j]!;
      for (let a = 0; a < 3; a++, c++) {
        const w = (3 * j + a) * 3;
        const ox = this.omega[w]!, oy = this.omega[w + 1]!, oz = this.omega[w + 2]!;
        let gx = 0, gy = 0, gz = 0;
        if (wj !== 0) { gx = oy * pz - oz * py; gy = oz * px - ox * pz; gz = ox * py - oy * px; }
        if (j >= 1) {
          const f0 = 9 * (j - 1), d = (3 * j + a) * 9;
          let p0 = 0, p1 = 0, p2 = 0;
          for (let e = 0; e < 9; e++) {
            const de = this.dR[d + e]!;
            if (de === 0) continue;
            p0 += m.poseDirs[(3 * i) * POSE_FEATURES + f0 + e]! * de;
            p1 += m.poseDirs[(3 * i + 1) * POSE_FEATURES + f0 + e]! * de;
            p2 += m.poseDirs[(3 * i + 2) * POSE_FEATURES + f0 + e]! * de;
          }
          gx += B[bo]! * p0 + B[bo + 1]! * p1 + B[bo + 2]! * p2;
          gy += B[bo + 4]! * p0 + B[bo + 5]! * p1 + B[bo + 6]! * p2;
          gz += B[bo + 8]! * p0 + B[bo + 9]! * p1 + B[bo + 10]! * p2;
        }
        out[o + c] = gx; out[o + stride + c] = gy; out[o + 2 * stride + c] = gz;
      }
    }
  }

  /**
   * Gradient of Σ_i q_i·v_i over the configured joints' pose parameters, for model-space q [V*3]
   * (all vertices): out [3·joints]. Uses per-joint sums, O(V·J), and one posedirsᵀ product.
   */
  gradient(state: FrameState, q: Float64Array, out: Float64Array): Float64Array {
    const m = this.model, V = m.numVertices, B = state.blended;
    const c = new Float64Array(J * 3); // Σ_i arm_ij × q_i
    const u = new Float64Array(POSE_FEATURES); // Σ_i (B_iᵀ q_i) · P_i
    for (let i = 0; i < V; i++) {
      const qx = q[3 * i]!, qy = q[3 * i + 1]!, qz = q[3 * i + 2]!;
      if (qx === 0 && qy === 0 && qz === 0) continue;
      leverArms(this.arm, m, this.W, this.below, state, i);
      for (const j of this.joints) {
        if (this.W[i * J + j] === 0) continue;
        const px = this.arm[3 * j]!, py = this.arm[3 * j + 1]!, pz = this.arm[3 * j + 2]!;
        c[3 * j]! += py * qz - pz * qy; c[3 * j + 1]! += pz * qx - px * qz; c[3 * j + 2]! += px * qy - py * qx;
      }
      const bo = 12 * i;
      const r0 = B[bo]! * qx + B[bo + 4]! * qy + B[bo + 8]! * qz;
      const r1 = B[bo + 1]! * qx + B[bo + 5]! * qy + B[bo + 9]! * qz;
      const r2 = B[bo + 2]! * qx + B[bo + 6]! * qy + B[bo + 10]! * qz;
      const o0 = 3 * i * POSE_FEATURES, o1 = o0 + POSE_FEATURES, o2 = o1 + POSE_FEATURES;
      for (let p = 0; p < POSE_FEATURES; p++) u[p]! += r0 * m.poseDirs[o0 + p]! + r1 * m.poseDirs[o1 + p]! + r2 * m.poseDirs[o2 + p]!;
    }
    let k = 0;
    for (const j of this.joints) {
      for (let a = 0; a < 3; a++, k++) {
        const w = (3 * j + a) * 3;
        // Ω · (arm × q) = (Ω × arm)·q summed
        let g = this.omega[w]! * c[3 * j]! + this.omega[w + 1]! * c[3 * j + 1]! + this.omega[w + 2]! * c[3 * j + 2]!;
        if (j >= 1) {
          const f0 = 9 * (j - 1), d = (3 * j + a) * 9;
          for (let e = 0; e < 9; e++) g += u[f0 + e]! * this.dR[d + e]!;
        }
        out[k] = g;
      }
    }
    return out;
  }
}
