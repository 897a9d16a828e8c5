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
import { blendShapes, jointMapsOf, kinematics, poseFeatures, poseRotations, skin } from './lbs.js';
import { type FlameModel, NUM_JOINTS, POSE_FEATURES, POSE_SIZE } from './model.js';

let nextId = 0;

/** [R, K] row-major (float64) → [K, R] in out's precision. */
function transposeInto(dirs: Float64Array, R: number, K: number, out: Float32Array | Float64Array, rowOffset = 0): void {
  for (let r = 0; r < R; r++) {
    const o = r * K;
    for (let k = 0; k < K; k++) out[(rowOffset + k) * R + r] = dirs[o + k]!;
  }
}

/**
 * The kinematic state of one evaluated frame, for Jacobians (arrays are reused: read them inside
 * the callback). vertices/posed [V*3], rotations/worldRotations [J*9], worldJoints/joints [J*3],
 * transforms [J*12], blended [V*12] (per-vertex blended 3×4 skinning transform), pose [15].
 */
export interface FrameState {
  vertices: Float64Array;
  posed: Float64Array;
  rotations: Float64Array;
  worldRotations: Float64Array;
  worldJoints: Float64Array;
  transforms: Float64Array;
  joints: Float64Array;
  blended: Float64Array;
  pose: Float64Array;
}

export class FlameBatchEvaluator {
  readonly model: FlameModel;
  readonly V: number;
  private readonly id = nextId++;
  /** 'float32' (default: ~1e-9 m rounding, fastest) or 'float64' (exact to double precision). */
  readonly precision: 'float32' | 'float64';
  private readonly identityDirs: Float32Array | Float64Array; // [S, R]
  private readonly frameDirs: Float32Array | Float64Array; // [E+36, R]
  private readonly jointTemplate: Float64Array;
  /** Jreg·S [J*3, S] and Jreg·E [J*3, E]: the joints' dependence on shape and expression. */
  readonly jointShapeDirs: Float64Array;
  readonly jointExprDirs: Float64Array;
  /** Identity part: v_id = T + S·β (+δ) [V*3], joints J_id [J*3]. */
  readonly vIdentity: Float64Array;
  readonly jIdentity: Float64Array;
  private readonly offsets: Float64Array;

  private constructor(model: FlameModel, precision: 'float32' | 'float64') {
    this.model = model;
    this.precision = precision;
    const V = (this.V = model.numVertices), R = V * 3, S = model.numShape, E = model.numExpr;
    const Arr = precision === 'float32' ? Float32Array : Float64Array;
    this.identityDirs = new Arr(S * R);
    transposeInto(model.shapeDirs, R, S, this.identityDirs);
    this.frameDirs = new Arr((E + POSE_FEATURES) * R);
    transposeInto(model.exprDirs, R, E, this.frameDirs);
    transposeInto(model.poseDirs, R, POSE_FEATURES, this.frameDirs, E);
    const maps = jointMapsOf(model);
    this.jointTemplate = maps.template;
    this.jointShapeDirs = maps.shape;
    this.jointExprDirs = maps.expr;
    this.vIdentity = Float64Array.from(model.vTemplate);
    this.jIdentity = Float64Array.from(this.jointTemplate);
    this.offsets = new Float64Array(R);
  }

  static async create(model: FlameModel, precision: 'float32' | 'float64' = 'float32'): Promise<FlameBatchEvaluator> {
    const ev = new FlameBatchEvaluator(model, precision);
    await Promise.all([ev.identitySession(), ev.frameSession()]);
    return ev;
  }

  private identitySession() {
    const R = this.V * 3, S = this.model.numShape;
    const dtype = this.precision;
    return graphSession(`flame-identity/${this.id}`, () => ({
      nodes: [{ op: 'MatMul', inputs: ['beta', 'D'], outputs: ['dv'] }],
      inputs: [{ name: 'beta', dtype, dims: [1, S] }],
      outputs: [{ name: 'dv', dtype, dims: [1, R] }],
      initializers: [{ name: 'D', dims: [S, R], data: this.identityDirs }],
    }));
  }

  private frameSession() {
    const R = this.V * 3, K = this.model.numExpr + POSE_FEATURES;
    const dtype = this.precision;
    return graphSession(`flame-frames/${this.id}`, () => ({
      nodes: [{ op: 'MatMul', inputs: ['coeffs', 'D'], outputs: ['dv'] }],
      inputs: [{ name: 'coeffs', dtype, dims: ['T', K] }],
      outputs: [{ name: 'dv', dtype, dims: ['T', R] }],
      initializers: [{ name: 'D', dims: [K, R], data: this.frameDirs }],
    }));
  }

  /** Fixes the identity: β (zero-padded) and optional per-vertex offsets δ [V*3]. */
  async setIdentity(shape: ArrayLike<number>, offsets?: ArrayLike<number>): Promise<void> {
    const S = this.model.numShape;
    if (shape.length > S) throw new RangeError(`FLAME: ${shape.length} shape coefficients for a model with ${S}`);
    const beta = this.precision === 'float32' ? new Float32Array(S) : new Float64Array(S);
    beta.set(Array.from(shape));
    const session = await this.identitySession();
    const out = await session.run({ beta: new OrtTensor(this.precision, beta, [1, S]) });
    const dv = out.dv!.data as Float32Array | Float64Array;
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
  async evaluate(expr: Float64Array, pose: Float64Array, transl: Float64Array | undefined, T: number, out = new Float64Array(T * this.V * 3), onFrame?: (t: number, state: FrameState) => void): Promise<Float64Array> {
    const m = this.model, E = m.numExpr, K = E + POSE_FEATURES, R = this.V * 3, J = NUM_JOINTS;
    if (expr.length !== T * E) throw new RangeError(`FLAME batch: expr has ${expr.length} entries, expected ${T}×${E}`);
    if (pose.length !== T * POSE_SIZE) throw new RangeError(`FLAME batch: pose has ${pose.length} entries, expected ${T}×15`);
    const coeffs = this.precision === 'float32' ? new Float32Array(T * K) : new Float64Array(T * K);
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
    const res = await session.run({ coeffs: new OrtTensor(this.precision, coeffs, [T, K]) });
    const dv = res.dv!.data as Float32Array | Float64Array;
    const posed = new Float64Array(R);
    const joints = new Float64Array(J * 3), Rw = new Float64Array(J * 9), Tw = new Float64Array(J * 3), A = new Float64Array(J * 12);
    const blended = onFrame ? new Float64Array(this.V * 12) : undefined;
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < R; r++) posed[r] = this.vIdentity[r]! + this.offsets[r]! + dv[t * R + r]!;
      blendShapes(joints, this.jIdentity, this.jointExprDirs, E, expr.subarray(t * E, (t + 1) * E));
      const rot = rotations.subarray(t * J * 9, (t + 1) * J * 9);
      kinematics(Rw, Tw, A, rot, joints, m.parents);
      const vertices = out.subarray(t * R, (t + 1) * R);
      skin(vertices, posed, A, m.weights, transl ? transl.subarray(3 * t, 3 * t + 3) : undefined, blended);
      if (onFrame) onFrame(t, { vertices, posed, rotations: rot, worldRotations: Rw, worldJoints: Tw, transforms: A, joints, blended: blended!, pose: pose.subarray(t * POSE_SIZE, (t + 1) * POSE_SIZE) });
    }
    return out;
  }
}
