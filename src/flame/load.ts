/**
 * Loading a head model: `builtin` (the procedural model), a real FLAME pickle (FLAME 2020
 * `generic_model.pkl`, FLAME 2023 `flame2023.pkl`) with its companion files found beside it, or an
 * `.npz` written by `workbench model export`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { FormatError, UsageError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { isNdArray, isSparse, sparseToDense, toFloat64, toUint32, type NdArray } from '../io/ndarray.js';
import { loadPickle } from '../io/pickle.js';
import { loadNpz } from '../io/npz.js';
import { parseObj } from '../io/obj.js';
import { type FlameModel, type LandmarkEmbedding, NUM_JOINTS, POSE_FEATURES, validateModel } from './model.js';
import { builtinModel } from './builtin/index.js';
import { loadLandmarkEmbedding, loadRegionMasks, mergeEmbeddings } from './embedding.js';

export interface LoadModelOptions {
  /** Keep only the first N identity / expression components. */
  shape?: number;
  expr?: number;
  /** Landmark embedding files to use instead of (or in addition to) the ones found beside the model. */
  embeddings?: string[];
  /** Region masks file (FLAME_masks.pkl). */
  masks?: string;
  /** OBJ with the model's topology and UVs (head_template.obj). */
  uvTemplate?: string;
  logger?: Logger;
}

/** Companion files looked for beside a FLAME pickle, in this order. */
export const COMPANION_FILES = {
  embeddings: ['landmark_embedding.npy', 'flame_static_embedding.pkl', 'flame_dynamic_embedding.npy'],
  masks: ['FLAME_masks.pkl'],
  uvTemplate: ['head_template.obj', 'head_template_mesh.obj', 'FLAME_texture.obj'],
};

/** Loads 'builtin', a FLAME .pkl or an exported .npz. */
export async function loadModel(spec = 'builtin', options: LoadModelOptions = {}): Promise<FlameModel> {
  let model: FlameModel;
  if (spec === 'builtin') {
    model = await builtinModel({ shape: options.shape ?? 300, expr: options.expr ?? 100 });
    if (options.embeddings?.length || options.masks || options.uvTemplate) model = { ...model };
  } else {
    if (!existsSync(spec)) throw new UsageError(`model '${spec}' not found (give 'builtin', a FLAME .pkl or an .npz from 'workbench model export')`);
    const ext = extname(spec).toLowerCase();
    if (ext === '.pkl') model = fromFlamePickle(spec, options);
    else if (ext === '.npz') model = fromNpz(spec);
    else throw new UsageError(`model '${spec}': unknown model format '${ext}' (expected .pkl or .npz)`);
    model = truncateModel(model, options.shape, options.expr);
  }
  // explicit companion files win over found ones
  if (options.embeddings?.length) {
    model.landmarks = mergeEmbeddings(...options.embeddings.map(loadLandmarkEmbedding), model.landmarks);
  }
  if (options.masks) model.regions = loadRegionMasks(options.masks);
  if (options.uvTemplate) Object.assign(model, uvsFromTemplate(options.uvTemplate, model));
  return validateModel(model);
}

function need(map: Map<unknown, unknown>, key: string, file: string): NdArray {
  const v = map.get(key);
  if (isNdArray(v)) return v;
  throw new FormatError(file, `key '${key}'`, v === undefined ? 'missing (not a FLAME model?)' : `expected an array, found ${typeof v}`);
}

function checkShape(a: NdArray, shape: Array<number | null>, file: string, key: string): void {
  const ok = a.shape.length === shape.length && shape.every((d, k) => d === null || d === a.shape[k]);
  if (!ok) throw new FormatError(file, `key '${key}'`, `expected shape (${shape.map((d) => d ?? 'n').join(', ')}), found (${a.shape.join(', ')})`);
}

/** FLAME 2020/2023 pickle; landmark embeddings, masks and UVs are taken from files beside it. */
function fromFlamePickle(path: string, options: LoadModelOptions): FlameModel {
  const raw = loadPickle(path);
  if (!(raw instanceof Map)) throw new FormatError(path, undefined, 'expected a dict (a FLAME model pickle)');
  const vt = need(raw, 'v_template', path);
  checkShape(vt, [null, 3], path, 'v_template');
  const V = vt.shape[0]!;
  const f = need(raw, 'f', path);
  checkShape(f, [null, 3], path, 'f');
  const sd = need(raw, 'shapedirs', path);
  checkShape(sd, [V, 3, null], path, 'shapedirs');
  const K = sd.shape[2]!;
  const nShape = Math.min(300, K);
  const nExpr = K - nShape;
  const pd = need(raw, 'posedirs', path);
  checkShape(pd, [V, 3, POSE_FEATURES], path, 'posedirs');
  const jr = raw.get('J_regressor');
  let jRegressor: Float64Array;
  if (isSparse(jr)) {
    if (jr.shape[0] !== NUM_JOINTS || jr.shape[1] !== V) throw new FormatError(path, "key 'J_regressor'", `expected shape (5, ${V}), found (${jr.shape.join(', ')})`);
    jRegressor = sparseToDense(jr);
  } else if (isNdArray(jr)) {
    checkShape(jr, [NUM_JOINTS, V], path, 'J_regressor');
    jRegressor = toFloat64(jr);
  } else throw new FormatError(path, "key 'J_regressor'", 'missing');
  const w = need(raw, 'weights', path);
  checkShape(w, [V, NUM_JOINTS], path, 'weights');
  const kt = need(raw, 'kintree_table', path);
  checkShape(kt, [2, NUM_JOINTS], path, 'kintree_table');
  const kin = toFloat64(kt);
  const parents = new Int32Array(NUM_JOINTS);
  for (let j = 0; j < NUM_JOINTS; j++) parents[j] = j === 0 ? -1 : kin[j]!;
  const all = toFloat64(sd, `${path} shapedirs`);
  const { shapeDirs, exprDirs } = splitDirs(all, V, nShape, nExpr);
  const model: FlameModel = {
    source: path, numVertices: V, numShape: nShape, numExpr: nExpr,
    vTemplate: toFloat64(vt), faces: toUint32(f, `${path} f`), shapeDirs, exprDirs,
    poseDirs: toFloat64(pd), jRegressor, weights: toFloat64(w), parents, regions: {}, landmarks: {},
  };
  // companion files beside the model
  const dir = dirname(path);
  const found = (names: string[]): string[] => names.map((n) => join(dir, n)).filter((p) => existsSync(p));
  if (!options.embeddings?.length) {
    const files = found(COMPANION_FILES.embeddings);
    const loaded: LandmarkEmbedding[] = [];
    for (const p of files) {
      try { loaded.push(loadLandmarkEmbedding(p)); } catch (e) { options.logger?.warn(`model: ignoring ${p}: ${(e as Error).message}`); }
    }
    model.landmarks = mergeEmbeddings(...loaded);
    if (files.length) options.logger?.info(`model: landmark embeddings from ${files.join(', ')}`);
  }
  if (!options.masks) {
    const [m] = found(COMPANION_FILES.masks);
    if (m) { model.regions = loadRegionMasks(m); options.logger?.info(`model: regions from ${m}`); }
  }
  if (!options.uvTemplate) {
    const [t] = found(COMPANION_FILES.uvTemplate);
    if (t) {
      try { Object.assign(model, uvsFromTemplate(t, model)); options.logger?.info(`model: UVs from ${t}`); }
      catch (e) { options.logger?.warn(`model: no UVs from ${t}: ${(e as Error).message}`); }
    }
  }
  return model;
}

/** Splits FLAME's [V,3,S+E] shapedirs into [V*3,S] and [V*3,E]. */
function splitDirs(all: Float64Array, V: number, S: number, E: number): { shapeDirs: Float64Array; exprDirs: Float64Array } {
  const K = S + E;
  const shapeDirs = new Float64Array(V * 3 * S), exprDirs = new Float64Array(V * 3 * E);
  for (let r = 0; r < V * 3; r++) {
    shapeDirs.set(all.subarray(r * K, r * K + S), r * S);
    exprDirs.set(all.subarray(r * K + S, r * K + K), r * E);
  }
  return { shapeDirs, exprDirs };
}

/** UVs (vt, ft) from an OBJ in the model's topology; its faces must be the model's faces. */
export function uvsFromTemplate(path: string, model: FlameModel): { uvs: Float32Array; faceUvs: Uint32Array } {
  const mesh = parseObj(readFileSync(path, 'utf8'), path);
  if (!mesh.uvs || !mesh.faceUvs) throw new FormatError(path, undefined, 'the OBJ has no texture coordinates (vt)');
  if (mesh.positions.length !== model.vTemplate.length) throw new FormatError(path, undefined, `has ${mesh.positions.length / 3} vertices, the model ${model.numVertices}`);
  if (mesh.faces.length !== model.faces.length || mesh.faces.some((v, i) => v !== model.faces[i])) {
    throw new FormatError(path, undefined, "its faces are not the model's faces (not the model's topology)");
  }
  return { uvs: mesh.uvs, faceUvs: mesh.faceUvs };
}

/** An npz written by `workbench model export` (see `modelToArrays`). */
function fromNpz(path: string): FlameModel {
  const z = loadNpz(path);
  const get = (k: string): NdArray => need(z, k, path);
  const opt = (k: string): NdArray | undefined => { const v = z.get(k); return isNdArray(v) ? v : undefined; };
  const vt = get('v_template');
  checkShape(vt, [null, 3], path, 'v_template');
  const V = vt.shape[0]!;
  const sd = get('shapedirs');
  checkShape(sd, [V, 3, null], path, 'shapedirs');
  const K = sd.shape[2]!;
  const nShapeArr = opt('n_shape'), nExprArr = opt('n_expr');
  const S = nShapeArr ? Number(toFloat64(nShapeArr)[0]) : Math.min(300, K);
  const E = nExprArr ? Number(toFloat64(nExprArr)[0]) : K - S;
  if (S + E !== K) throw new FormatError(path, "key 'n_shape'", `n_shape ${S} + n_expr ${E} ≠ shapedirs components ${K}`);
  const { shapeDirs, exprDirs } = splitDirs(toFloat64(sd), V, S, E);
  const jr = get('J_regressor');
  checkShape(jr, [NUM_JOINTS, V], path, 'J_regressor');
  const kt = get('kintree_table');
  checkShape(kt, [2, NUM_JOINTS], path, 'kintree_table');
  const kin = toFloat64(kt);
  const parents = new Int32Array(NUM_JOINTS);
  for (let j = 0; j < NUM_JOINTS; j++) parents[j] = j === 0 ? -1 : kin[j]!;
  const regions: Record<string, Uint32Array> = {};
  for (const [k, v] of z) if (k.startsWith('region_') && isNdArray(v)) regions[k.slice(7)] = toUint32(v, `${path} ${k}`);
  const landmarks: LandmarkEmbedding = {};
  const lmk = (fk: string, bk: string) => {
    const f = opt(fk), b = opt(bk);
    return f && b ? { faceIdx: toUint32(f), bary: toFloat64(b) } : undefined;
  };
  const s51 = lmk('lmk_face_idx', 'lmk_b_coords');
  if (s51) landmarks.static51 = s51;
  const f68 = lmk('full_lmk_face_idx', 'full_lmk_b_coords');
  if (f68) landmarks.full68 = f68;
  const dyn = lmk('dynamic_lmk_face_idx', 'dynamic_lmk_b_coords');
  if (dyn) landmarks.dynamic = { ...dyn, bins: dyn.faceIdx.length / 17 };
  const uv = opt('vt'), ft = opt('ft');
  return {
    source: path, numVertices: V, numShape: S, numExpr: E,
    vTemplate: toFloat64(vt), faces: toUint32(get('f')), shapeDirs, exprDirs,
    poseDirs: toFloat64(get('posedirs')), jRegressor: toFloat64(jr), weights: toFloat64(get('weights')),
    parents, regions, landmarks,
    ...(uv && ft ? { uvs: Float32Array.from(toFloat64(uv)), faceUvs: toUint32(ft) } : {}),
  };
}

/** Keeps the first S identity and E expression components. */
/** The model with only its first S shape and E expression components. */
export function truncateModel(model: FlameModel, S?: number, E?: number): FlameModel {
  const s = S ?? model.numShape, e = E ?? model.numExpr;
  if (s > model.numShape || e > model.numExpr) {
    throw new UsageError(`model '${model.source}' has ${model.numShape} shape and ${model.numExpr} expression components; asked for ${s} and ${e}`);
  }
  if (s === model.numShape && e === model.numExpr) return model;
  const R = model.numVertices * 3;
  const cut = (dirs: Float64Array, K: number, k: number): Float64Array => {
    const out = new Float64Array(R * k);
    for (let r = 0; r < R; r++) out.set(dirs.subarray(r * K, r * K + k), r * k);
    return out;
  };
  return { ...model, numShape: s, numExpr: e, shapeDirs: cut(model.shapeDirs, model.numShape, s), exprDirs: cut(model.exprDirs, model.numExpr, e) };
}
