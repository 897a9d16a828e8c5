/**
 * The FLAME head model as plain arrays (FLAME 2020/2023 and the built-in model share this form).
 *
 * Layouts (row-major, V vertices, F triangles, J = 5 joints, S shape and E expression components):
 * - vTemplate  Float64Array [V*3]      mean head, metres, +Y up, looking along +Z
 * - faces      Uint32Array  [F*3]      counter-clockwise seen from outside
 * - shapeDirs  Float64Array [V*3*S]    row (3i+k) holds ∂v[i,k]/∂β (FLAME `shapedirs[:, :, :S]`)
 * - exprDirs   Float64Array [V*3*E]    row (3i+k) holds ∂v[i,k]/∂ψ (FLAME `shapedirs[:, :, 300:]`)
 * - poseDirs   Float64Array [V*3*36]   row (3i+k) holds the pose-corrective coefficients over
 *                                      vec(R_j − I), j = 1..4, each 3×3 flattened row-major
 * - jRegressor Float64Array [J*V]      joints J = jRegressor · v_shaped (dense; rows sum to 1)
 * - weights    Float64Array [V*J]      skinning weights, rows sum to 1
 * - parents    Int32Array   [J]        parent joint of each joint, −1 for the root
 * Joint order: [global, neck, jaw, left eye, right eye].
 */

export const JOINT_NAMES = ['global', 'neck', 'jaw', 'left_eye', 'right_eye'] as const;
export const NUM_JOINTS = 5;
/** Pose vector length: axis-angle per joint. */
export const POSE_SIZE = 15;
/** Pose-corrective features: 9 entries of (R_j − I) for the four non-root joints. */
export const POSE_FEATURES = 36;

/** A barycentric landmark set: landmark k is Σ_c bary[3k+c] · v[faces[3·faceIdx[k] + c]]. */
export interface BarycentricLandmarks {
  /** faceIdx: Uint32Array [L], triangle index per landmark. */
  faceIdx: Uint32Array;
  /** bary: Float64Array [L*3], barycentric weights per landmark (sum to 1). */
  bary: Float64Array;
  /** Optional landmark names (e.g. from a .pp file or the iBUG-68 convention). */
  names?: string[];
}

/**
 * The yaw-dependent jaw contour (DECA/FLAME `dynamic_lmk_*`): for yaw bin b (degrees
 * −(B−1)/2 … +(B−1)/2, one per degree), the 17 contour landmarks.
 */
export interface DynamicContour {
  /** faceIdx: Uint32Array [B*17]. */
  faceIdx: Uint32Array;
  /** bary: Float64Array [B*17*3]. */
  bary: Float64Array;
  /** Number of yaw bins B (79 for FLAME: −39°..39°). */
  bins: number;
}

export interface LandmarkEmbedding {
  /** The 51 static landmarks (iBUG 17–67: brows, nose, eyes, mouth). */
  static51?: BarycentricLandmarks;
  /** All 68 iBUG landmarks with the frontal jaw contour (DECA `full_lmk_*`). */
  full68?: BarycentricLandmarks;
  /** Yaw-dependent jaw contour (iBUG 0–16). */
  dynamic?: DynamicContour;
}

export interface FlameModel {
  /** Where it came from: 'builtin', or the file path. */
  source: string;
  numVertices: number;
  numShape: number;
  numExpr: number;
  vTemplate: Float64Array;
  faces: Uint32Array;
  shapeDirs: Float64Array;
  exprDirs: Float64Array;
  poseDirs: Float64Array;
  jRegressor: Float64Array;
  weights: Float64Array;
  parents: Int32Array;
  /** uvs: Float32Array [U*2] (v up) and faceUvs: Uint32Array [F*3] (FLAME `vt`, `ft`). */
  uvs?: Float32Array;
  faceUvs?: Uint32Array;
  /** Vertex index sets by region name (face, lips, nose, eye_region, ...). */
  regions: Record<string, Uint32Array>;
  landmarks: LandmarkEmbedding;
  /**
   * Joints as linear maps of the parameters, J = template + shape·β + expr·ψ ([J*3], [J*3*S],
   * [J*3*E]). Present on a model restricted to a vertex subset (`restrictModel`), whose own
   * vertices cannot regress the joints; evaluators use it instead of the regressor.
   */
  jointMaps?: { template: Float64Array; shape: Float64Array; expr: Float64Array };
}

/** Checks every array length and index range; throws naming the model source and the array. */
export function validateModel(m: FlameModel): FlameModel {
  const V = m.numVertices, S = m.numShape, E = m.numExpr, J = NUM_JOINTS;
  const where = `model '${m.source}'`;
  const expect = (name: string, arr: ArrayLike<unknown>, n: number): void => {
    if (arr.length !== n) throw new RangeError(`${where}: ${name} has ${arr.length} entries, expected ${n}`);
  };
  expect('v_template', m.vTemplate, V * 3);
  if (m.faces.length % 3 !== 0) throw new RangeError(`${where}: faces length ${m.faces.length} is not a multiple of 3`);
  expect('shapedirs (shape part)', m.shapeDirs, V * 3 * S);
  expect('shapedirs (expression part)', m.exprDirs, V * 3 * E);
  expect('posedirs', m.poseDirs, V * 3 * POSE_FEATURES);
  expect('J_regressor', m.jRegressor, J * V);
  expect('weights', m.weights, V * J);
  expect('kintree parents', m.parents, J);
  for (let i = 0; i < m.faces.length; i++) {
    if (m.faces[i]! >= V) throw new RangeError(`${where}: face ${Math.floor(i / 3)} references vertex ${m.faces[i]} of ${V}`);
  }
  if (m.parents[0] !== -1) throw new RangeError(`${where}: joint 0 must be the root (parent −1), found ${m.parents[0]}`);
  for (let j = 1; j < J; j++) {
    const p = m.parents[j]!;
    if (p < 0 || p >= j) throw new RangeError(`${where}: joint ${j} has parent ${p}; parents must come before children`);
  }
  if (m.uvs && m.faceUvs) {
    expect('ft', m.faceUvs, m.faces.length);
    const U = m.uvs.length / 2;
    for (let i = 0; i < m.faceUvs.length; i++) {
      if (m.faceUvs[i]! >= U) throw new RangeError(`${where}: ft entry ${i} references uv ${m.faceUvs[i]} of ${U}`);
    }
  }
  for (const [name, idx] of Object.entries(m.regions)) {
    for (let i = 0; i < idx.length; i++) {
      if (idx[i]! >= V) throw new RangeError(`${where}: region '${name}' references vertex ${idx[i]} of ${V}`);
    }
  }
  const F = m.faces.length / 3;
  const checkLmk = (name: string, l: { faceIdx: Uint32Array; bary: Float64Array } | undefined): void => {
    if (!l) return;
    expect(`${name} bary`, l.bary, l.faceIdx.length * 3);
    for (let i = 0; i < l.faceIdx.length; i++) {
      if (l.faceIdx[i]! >= F) throw new RangeError(`${where}: ${name} landmark ${i} references face ${l.faceIdx[i]} of ${F}`);
    }
  };
  checkLmk('static landmarks', m.landmarks.static51);
  checkLmk('68 landmarks', m.landmarks.full68);
  checkLmk('dynamic contour', m.landmarks.dynamic);
  return m;
}

/** Children lists per joint, from `parents`. */
export function jointChildren(parents: Int32Array): number[][] {
  const children: number[][] = Array.from({ length: parents.length }, () => []);
  for (let j = 1; j < parents.length; j++) children[parents[j]!]!.push(j);
  return children;
}

/** isDescendant[k*J + m] = 1 when joint m is k or below k in the tree. */
export function descendantTable(parents: Int32Array): Uint8Array {
  const J = parents.length;
  const table = new Uint8Array(J * J);
  for (let m = 0; m < J; m++) {
    for (let k = m; k >= 0; k = parents[k]!) table[k * J + m] = 1;
  }
  return table;
}
