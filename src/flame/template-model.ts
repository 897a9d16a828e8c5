/**
 * A head model from a bare template mesh (e.g. FLAME's `head_template.obj`) and its landmark
 * embedding: no identity or expression blendshapes, so fitting it is a rigid placement plus, for
 * the registration's non-rigid stage, per-vertex offsets.
 *
 * To go through the same fitting engine as a full model it has FLAME's structure with trivial
 * content: three "shape" components that stretch the head along x, y and z about its centroid
 * (5% per unit, so the similarity's scale and the head's proportions can still be fitted), one
 * zero expression component (the engine needs at least one), no pose correctives, every vertex
 * skinned to the root joint and all joints at the centroid.
 */
import { type FlameModel, type LandmarkEmbedding, NUM_JOINTS, POSE_FEATURES, validateModel } from './model.js';
import type { Mesh } from '../io/mesh.js';

/** Stretch per unit of each shape component (relative). */
export const TEMPLATE_STRETCH = 0.05;

export interface TemplateModelOptions {
  /** Where the template came from (for messages). */
  source: string;
  landmarks?: LandmarkEmbedding;
  regions?: Record<string, Uint32Array>;
  /** Unit of the mesh positions in metres (1 for metres, 0.001 for a template in millimetres). */
  metresPerUnit?: number;
}

export function templateModel(mesh: Mesh, options: TemplateModelOptions): FlameModel {
  const V = mesh.positions.length / 3, J = NUM_JOINTS;
  if (V === 0 || mesh.faces.length === 0) throw new RangeError(`template '${options.source}': no vertices or no faces`);
  const unit = options.metresPerUnit ?? 1;
  const vTemplate = Float64Array.from(mesh.positions, (x) => x * unit);
  const c = [0, 0, 0];
  for (let i = 0; i < V; i++) for (let a = 0; a < 3; a++) c[a]! += vTemplate[3 * i + a]! / V;
  const S = 3;
  const shapeDirs = new Float64Array(V * 3 * S);
  for (let i = 0; i < V; i++) for (let a = 0; a < 3; a++) shapeDirs[(3 * i + a) * S + a] = TEMPLATE_STRETCH * (vTemplate[3 * i + a]! - c[a]!);
  const weights = new Float64Array(V * J);
  for (let i = 0; i < V; i++) weights[i * J] = 1;
  const jRegressor = new Float64Array(J * V).fill(1 / V);
  const model: FlameModel = {
    source: options.source,
    numVertices: V,
    numShape: S,
    numExpr: 1,
    vTemplate,
    faces: mesh.faces,
    shapeDirs,
    exprDirs: new Float64Array(V * 3),
    poseDirs: new Float64Array(V * 3 * POSE_FEATURES),
    jRegressor,
    weights,
    parents: Int32Array.of(-1, 0, 1, 1, 1),
    regions: options.regions ?? {},
    landmarks: options.landmarks ?? {},
  };
  if (mesh.uvs && mesh.faceUvs) { model.uvs = mesh.uvs; model.faceUvs = mesh.faceUvs; }
  return validateModel(model);
}
