/**
 * A model as plain arrays for `workbench model export`: the keys and layouts of FLAME's pickle
 * (v_template [V,3], f [F,3], shapedirs [V,3,S+E], posedirs [V,3,36], J_regressor [5,V] dense,
 * weights [V,5], kintree_table [2,5]) plus n_shape, n_expr, vt, ft, landmark embeddings and one
 * region_<name> index array per region.
 */
import { ndarray, nd, type NdArray } from '../io/ndarray.js';
import type { FlameModel } from './model.js';

export function modelToArrays(m: FlameModel): Map<string, NdArray> {
  const V = m.numVertices, S = m.numShape, E = m.numExpr, K = S + E;
  const sd = new Float64Array(V * 3 * K);
  for (let r = 0; r < V * 3; r++) {
    sd.set(m.shapeDirs.subarray(r * S, r * S + S), r * K);
    sd.set(m.exprDirs.subarray(r * E, r * E + E), r * K + S);
  }
  const out = new Map<string, NdArray>();
  out.set('v_template', nd.f64([V, 3], m.vTemplate));
  out.set('f', ndarray('uint32', [m.faces.length / 3, 3], Uint32Array.from(m.faces)));
  out.set('shapedirs', ndarray('float64', [V, 3, K], sd));
  out.set('posedirs', nd.f64([V, 3, 36], m.poseDirs));
  out.set('J_regressor', nd.f64([5, V], m.jRegressor));
  out.set('weights', nd.f64([V, 5], m.weights));
  const kin = new BigInt64Array(10);
  for (let j = 0; j < 5; j++) { kin[j] = BigInt(m.parents[j] === -1 ? 4294967295 : m.parents[j]!); kin[5 + j] = BigInt(j); }
  out.set('kintree_table', ndarray('int64', [2, 5], kin));
  out.set('n_shape', nd.i64([], [S]));
  out.set('n_expr', nd.i64([], [E]));
  if (m.uvs && m.faceUvs) {
    out.set('vt', nd.f64([m.uvs.length / 2, 2], m.uvs));
    out.set('ft', ndarray('uint32', [m.faceUvs.length / 3, 3], Uint32Array.from(m.faceUvs)));
  }
  const L = m.landmarks;
  if (L.static51) {
    out.set('lmk_face_idx', ndarray('uint32', [L.static51.faceIdx.length], Uint32Array.from(L.static51.faceIdx)));
    out.set('lmk_b_coords', nd.f64([L.static51.faceIdx.length, 3], L.static51.bary));
  }
  if (L.full68) {
    out.set('full_lmk_face_idx', ndarray('uint32', [L.full68.faceIdx.length], Uint32Array.from(L.full68.faceIdx)));
    out.set('full_lmk_b_coords', nd.f64([L.full68.faceIdx.length, 3], L.full68.bary));
  }
  if (L.dynamic) {
    out.set('dynamic_lmk_face_idx', ndarray('uint32', [L.dynamic.bins, 17], Uint32Array.from(L.dynamic.faceIdx)));
    out.set('dynamic_lmk_b_coords', nd.f64([L.dynamic.bins, 17, 3], L.dynamic.bary));
  }
  for (const [name, idx] of Object.entries(m.regions)) {
    out.set(`region_${name}`, ndarray('uint32', [idx.length], Uint32Array.from(idx)));
  }
  return out;
}
