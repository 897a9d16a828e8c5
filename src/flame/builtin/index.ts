/**
 * The built-in head model: a procedurally built head with FLAME's structure (template, 300 shape
 * and 100 expression components, 36 pose correctives, 5 joints with skinning, UVs with seams,
 * regions, 51/68 landmarks and the yaw-dependent contour). Deterministic: the same code gives
 * the same arrays on every machine.
 */
import type { FlameModel } from '../model.js';
import { validateModel } from '../model.js';
import { buildHeadMesh, DEFAULT_GRID } from './head-mesh.js';
import { buildSkinning } from './skinning.js';
import { buildRegions } from './regions.js';
import { buildLandmarks } from './landmarks.js';
import { buildExpressionBasis, buildShapeBasis } from './bases.js';

export interface BuiltinOptions {
  /** Number of identity components (≤ 300). */
  shape?: number;
  /** Number of expression components (≤ 100). */
  expr?: number;
}

const cache = new Map<string, Promise<FlameModel>>();

/** Builds (once per process and option set) the built-in model. */
export function builtinModel(options: BuiltinOptions = {}): Promise<FlameModel> {
  const S = options.shape ?? 300, E = options.expr ?? 100;
  if (!(S >= 1 && S <= 300 && E >= 1 && E <= 100)) throw new RangeError(`builtin model: shape ${S} must be 1–300 and expr ${E} 1–100`);
  const key = `${S}/${E}`;
  let model = cache.get(key);
  if (!model) {
    model = buildBuiltinModel(S, E);
    cache.set(key, model);
  }
  return model;
}

/** Builds the built-in model afresh (no cache). */
export async function buildBuiltinModel(S = 300, E = 100): Promise<FlameModel> {
  const mesh = buildHeadMesh(DEFAULT_GRID);
  const skinning = buildSkinning(mesh);
  return validateModel({
    source: 'builtin',
    numVertices: mesh.positions.length / 3,
    numShape: S,
    numExpr: E,
    vTemplate: mesh.positions,
    faces: mesh.faces,
    shapeDirs: await buildShapeBasis(mesh, S),
    exprDirs: await buildExpressionBasis(mesh, E),
    poseDirs: skinning.poseDirs,
    jRegressor: skinning.jRegressor,
    weights: skinning.weights,
    parents: Int32Array.from([-1, 0, 1, 1, 1]),
    uvs: mesh.uvs,
    faceUvs: mesh.faceUvs,
    regions: buildRegions(mesh),
    landmarks: buildLandmarks(mesh),
  });
}
