/**
 * FLAME evaluation for many frames at once, with the blendshape products on onnxruntime's MatMul.
 *
 * Per frame the expensive part of FLAME is two matrix–vector products: expression blendshapes
 * [V*3 × E] and pose correctives [V*3 × 36]. Here they are one product of the frame's stacked
 * [ψ_t, vec(R_j − I)] with a float32 [(E+36) × V*3] matrix, for all frames together (a GEMM); the
 * identity part (S shape components) is one more product, done once by `setIdentity`. Kinematics
 * and skinning stay in JavaScript (float64).
 *
 * tried (5023 vertices, 300 + 100 components, one frame, 2 cores):
 *   JavaScript loops (FlameEvaluator): full 10.5 ms, incremental 2.2 ms;
 *   this (float32 MatMul in onnxruntime, skinning in JS): see `workbench bench flame`.
 * The float32 products add ~1e-9 m of rounding to vertex positions.
 */
import { graphSession, OrtTensor } from '../kernels/session.js';
import { blendShapes, kinematics, poseFeatures, poseRotations, regressDirs, regressJoints, skin } from './lbs.js';
import { type FlameModel, NUM_JOINTS, POSE_FEATURES, POSE_SIZE } from './model.js';

let nextId = 0;

/** [R, K] row-major (float64) → [K, R] float32. */
function transposeToFloat32(dirs: Float64Array, R: number, K: number, out: Float32Array, rowOffset = 0): void {
  for (let r = 0; r < R; r++) {
    const o = r * K;
    for (let k = 0; k < K; k++) out[(rowOffset + k) * R + r] = dirs[o + k]!;
  }
}

export class FlameBatchEvaluator {
  readonly model: FlameModel;
  readonly V: number;
  private readonly id = nextId++;
  private readonly identityDirs: Float32Array; // [S, R]
  private readonly frameDirs: Float32Array; // [E+36, R]
  private readonly jointTemplate: Float64Array;
  private readonly jointShapeDirs: Float64Array; // [J*3, S]
  private readonly jointExprDirs: Float64Array; // [J*3, E]
  /** Identity part: v_id = T + S·β (+δ) [V*3], joints J_id [J*3]. */
  readonly vIdentity: Float64Array;
  readonly jIdentity: Float64Array;
  private readonly offsets: Float64Array;

  private constructor(model: FlameModel) {
    this.model = model;
    const V = (this.V = model.numVertices), R = V * 3, S = model.numShape, E = model.numExpr;
    this.identityDirs = new Float32Array(S * R);
    transposeToFloat32(model.shapeDirs, R, S, this.identityDirs);
    this.frameDirs = new Float32Array((E + POSE_FEATURES) * R);
    transposeToFloat32(model.exprDirs, R, E, this.frameDirs);
    transposeToFloat32(model.poseDirs, R, POSE_FEATURES, this.frameDirs, E);
    this.jointTemplate = regressJoints(new Float64Array(NUM_JOINTS * 3), model.jRegressor, model.vTemplate, V);
    this.jointShapeDirs = regressDirs(model.jRegressor, model.shapeDirs, V, S);
    this.jointExprDirs = regressDirs(model.jRegressor, model.exprDirs, V, E);
    this.vIdentity = Float64Array.from(model.vTemplate);
    this.jIdentity = Float64Array.from(this.jointTemplate);
    this.offsets = new Float64Array(R);
  }

  static async create(model: FlameModel): Promise<FlameBatchEvaluator> {
    const ev = new FlameBatchEvaluator(model);
    await Promise.all([ev.identitySession(), ev.frameSession()]);
    return ev;
  }

  private identitySession() {
    const R = this.V * 3, S = this.model.numShape;
    return graphSession(`flame-identity/${this.id}`, () => ({
      nodes: [{ op: 'MatMul', inputs: ['beta', 'D'], outputs: ['dv'] }],
      inputs: [{ name: 'beta', dtype: 'float32', dims: [1, S] }],
      outputs: [{ name: 'dv', dtype: 'float32', dims: [1, R] }],
      initializers: [{ name: 'D', dims: [S, R], data: this.identityDirs }],
    }));
  }

  private frameSession() {
    const R = this.V * 3, K = this.model.numExpr + POSE_FEATURES;
    return graphSession(`flame-frames/${this.id}`, () => ({
      nodes: [{ op: 'MatMul', inputs: ['coeffs', 'D'], outputs: ['dv'] }],
      inputs: [{ name: 'coeffs', dtype: 'float32', dims: ['T', K] }],
      outputs: [{ name: 'dv', dtype: 'float32', dims: ['T', R] }],
      initializers: [{ name: 'D', dims: [K, R], data: this.frameDirs }],
    }));
  }

  /** Fixes the identity: β (zero-padded) and optional per-vertex offsets δ [V*3]. */
  async setIdentity(shape: ArrayLike<number>, offsets?: ArrayLike<number>): Promise<void> {
    const S = this.model.numShape;
    if (shape.length > S) throw new RangeError(`FLAME: ${shape.length} shape coefficients for a model with ${S}`);
    const beta = new Float32Array(S);
    beta.set(Array.from(shape));
    const session = await this.identitySession();
    const out = await session.run({ beta: new OrtTensor('float32', beta, [1, S]) });
    const dv = out.dv!.data as Float32Array;
    const T = this.model.vTemplate;
    for (let r = 0; r < dv.length; r++) this.vIdentity[r] = T[r]! + dv[r]!;
    const b64 = new Float64Array(S);
    b64.set(Array.from(shape));
    blendShapes(this.jIdentity, this.jointTemplate, this.jointShapeDirs, S, b64);
    if (offsets) {
      if (offsets.length !== this.V * 3) throw new RangeError(`FLAME: offsets have ${offsets.length} entries, expected ${this.V * 3}`);
      this.offsets.set(offsets);
    } else this.offsets.fill(0);
  }

  /**
   * Vertices of T frames with the current identity: expr [T*E] (row per frame), pose [T*15],
   * transl [T*3] (optional). Returns Float64Array [T*V*3].
   */
  async evaluate(expr: Float64Array, pose: Float64Array, transl: Float64Array | undefined, T: number, out = new Float64Array(T * this.V * 3)): Promise<Float64Array> {
    const m = this.model, E = m.numExpr, K = E + POSE_FEATURES, R = this.V * 3, J = NUM_JOINTS;
    if (expr.length !== T * E) throw new RangeError(`FLAME batch: expr has ${expr.length} entries, expected ${T}×${E}`);
    if (pose.length !== T * POSE_SIZE) throw new RangeError(`FLAME batch: pose has ${pose.length} entries, expected ${T}×15`);
    const coeffs = new Float32Array(T * K);
    const rotations = new Float64Array(T * J * 9);
    const feat = new Float64Array(POSE_FEATURES);
    for (let t = 0; t < T; t++) {
      const rot = rotations.subarray(t * J * 9, (t + 1) * J * 9);
      poseRotations(rot, pose.subarray(t * POSE_SIZE, (t + 1) * POSE_SIZE));
      poseFeatures(feat, rot);
      for (let e = 0; e < E; e++) coeffs[t * K + e] = expr[t * E + e]!;
      for (let p = 0; p < POSE_FEATURES; p++) coeffs[t * K + E + p] = feat[p]!;
    }
    const session = await this.frameSession();
    const res = await session.run({ coeffs: new OrtTensor('float32', coeffs, [T, K]) });
    const dv = res.dv!.data as Float32Array;
    const posed = new Float64Array(R);
    const joints = new Float64Array(J * 3), Rw = new Float64Array(J * 9), Tw = new Float64Array(J * 3), A = new Float64Array(J * 12);
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < R; r++) posed[r] = this.vIdentity[r]! + this.offsets[r]! + dv[t * R + r]!;
      blendShapes(joints, this.jIdentity, this.jointExprDirs, E, expr.subarray(t * E, (t + 1) * E));
      kinematics(Rw, Tw, A, rotations.subarray(t * J * 9, (t + 1) * J * 9), joints, m.parents);
      skin(out.subarray(t * R, (t + 1) * R), posed, A, m.weights, transl ? transl.subarray(3 * t, 3 * t + 3) : undefined);
    }
    return out;
  }
}
