/**
 * The dense UV-to-image flow (DESIGN.md): for the texel centre p = (i + ½, j + ½) of a D×D UV map
 * (column u·D, row (1 − v)·D), F(p) = μ(p) − p, where μ(p) is the image position of the surface point
 * whose UV is p. A vertex with UV position ν then lands at ν + F(ν).
 *
 * The UV layout depends only on the topology, so it is built once (`buildUvLayout`): the mesh is
 * rasterised in UV space (faces by their `ft` corners, seams respected: each side keeps its own UVs)
 * and every texel keeps its face and its barycentrics, in float64 and exact (UV → surface is affine
 * per triangle). Per view, `uvFlowLabels` combines them with the posed vertices and the camera.
 *
 * Seams and island borders. A vertex on the border of a UV island (every seam vertex is) has texels
 * around it that no triangle covers, so bilinear sampling of the flow at its UV position would mix
 * in zeros. Texels within `gutter` rings (default 2) of an island are therefore filled with the
 * island's own map continued across its border: the barycentrics of the texel centre in the nearest
 * covered face (the one needing the least extrapolation), applied to that face's vertices, give a
 * point on the face's plane whose projection continues the flow smoothly. Such gutter texels carry
 * a flow but are never valid (`uv_flow_valid` = covered and visible), so training ignores them while
 * bilinear sampling at border vertices stays exact. Where two islands touch (no gap between them),
 * texels of the other island still enter the interpolation: those few vertices keep an error.
 */
import { UsageError } from '../util/errors.js';
import type { Camera } from './camera.js';
import type { DepthTester } from './ground-truth.js';
import { rasterize } from './rasterize.js';

export interface UvLayout {
  /** Side D of the UV maps. */
  size: number;
  /** triangle: Int32Array [D*D], the face of each texel (for gutter texels the face it continues), −1 for none. */
  triangle: Int32Array;
  /** bary: Float64Array [D*D*3], barycentrics of the texel centre per corner of that face (outside [0, 1] in the gutter). */
  bary: Float64Array;
  /** coverage: Uint8Array [D*D], 1 = covered by a face, 2 = gutter, 0 = empty. */
  coverage: Uint8Array;
  /** vertexUv: Float64Array [V*2], each vertex's UV position (u·D, (1 − v)·D) from the first face corner using it; NaN for unused vertices. */
  vertexUv: Float64Array;
}

export interface UvLayoutOptions {
  /** Rings of gutter texels around every island (see the file header). Default 2. */
  gutter?: number;
}

/** Barycentrics (float64, affine) of the UV-pixel point (px, py) in face t's UV triangle; false when degenerate. */
function uvBary(out: Float64Array, o: number, uvs: Float32Array, faceUvs: Uint32Array, t: number, D: number, px: number, py: number): boolean {
  const a = 2 * faceUvs[3 * t]!, b = 2 * faceUvs[3 * t + 1]!, c = 2 * faceUvs[3 * t + 2]!;
  const ax = uvs[a]! * D, ay = (1 - uvs[a + 1]!) * D;
  const bx = uvs[b]! * D, by = (1 - uvs[b + 1]!) * D;
  const cx = uvs[c]! * D, cy = (1 - uvs[c + 1]!) * D;
  const area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
  if (!(Math.abs(area) > 0)) return false;
  const l1 = ((px - ax) * (cy - ay) - (py - ay) * (cx - ax)) / area;
  const l2 = ((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / area;
  out[o] = 1 - l1 - l2; out[o + 1] = l1; out[o + 2] = l2;
  return true;
}

/**
 * The UV layout of a mesh at D×D. uvs: Float32Array [U*2] (v up); faceUvs: Uint32Array [F*3];
 * faces: Uint32Array [F*3] (for `vertexUv`); V: vertex count.
 */
export function buildUvLayout(uvs: Float32Array, faceUvs: Uint32Array, faces: Uint32Array, V: number, D: number, options: UvLayoutOptions = {}): UvLayout {
  if (!(Number.isInteger(D) && D >= 1 && D <= 4096)) throw new UsageError(`buildUvLayout: UV size must be an integer in [1, 4096], found ${D}`);
  if (faceUvs.length !== faces.length) throw new RangeError(`buildUvLayout: faceUvs has ${faceUvs.length} entries, faces ${faces.length}`);
  const gutter = options.gutter ?? 2;
  if (!(Number.isInteger(gutter) && gutter >= 0)) throw new UsageError(`buildUvLayout: gutter must be an integer >= 0, found ${gutter}`);
  const U = uvs.length / 2, N = D * D;
  for (let i = 0; i < faceUvs.length; i++) if (faceUvs[i]! >= U) throw new RangeError(`buildUvLayout: face ${Math.floor(i / 3)} corner ${i % 3} refers to uv ${faceUvs[i]}, but there are ${U}`);
  for (let i = 0; i < faces.length; i++) if (faces[i]! >= V) throw new RangeError(`buildUvLayout: face ${Math.floor(i / 3)} corner ${i % 3} refers to vertex ${faces[i]}, but there are ${V}`);

  // 1. rasterise the faces in UV space: points (u·D, (1 − v)·D, 1) through K = I, Rt = [I | 0]
  const flat = new Float64Array(3 * U);
  for (let k = 0; k < U; k++) {
    flat[3 * k] = uvs[2 * k]! * D;
    flat[3 * k + 1] = (1 - uvs[2 * k + 1]!) * D;
    flat[3 * k + 2] = 1;
  }
  const camera: Camera = { K: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), Rt: new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]), width: D, height: D };
  const raster = rasterize(flat, faceUvs, camera, { cullBackFaces: false });
  const triangle = new Int32Array(N).fill(-1);
  const bary = new Float64Array(3 * N);
  const coverage = new Uint8Array(N);
  for (let p = 0; p < N; p++) {
    const t = raster.triangle[p]!;
    if (t < 0) continue;
    const px = (p % D) + 0.5, py = Math.floor(p / D) + 0.5;
    if (!uvBary(bary, 3 * p, uvs, faceUvs, t, D, px, py)) continue;
    triangle[p] = t;
    coverage[p] = 1;
  }

  // 2. gutter rings: a texel next to texels of earlier rings continues the face that needs the least
  //    extrapolation (largest smallest barycentric; ties to the lower face id)
  const ring = new Uint8Array(N).fill(255);
  for (let p = 0; p < N; p++) if (coverage[p] === 1) ring[p] = 0;
  const tmp = new Float64Array(3);
  for (let r = 1; r <= gutter; r++) {
    for (let p = 0; p < N; p++) {
      if (ring[p] !== 255) continue;
      const i = p % D, j = Math.floor(p / D), px = i + 0.5, py = j + 0.5;
      let best = -1, bestScore = -Infinity;
      for (let dj = -1; dj <= 1; dj++) {
        for (let di = -1; di <= 1; di++) {
          const ii = i + di, jj = j + dj;
          if (ii < 0 || jj < 0 || ii >= D || jj >= D) continue;
          const q = jj * D + ii;
          if (ring[q]! >= r) continue;
          const t = triangle[q]!;
          if (t < 0 || !uvBary(tmp, 0, uvs, faceUvs, t, D, px, py)) continue;
          const score = Math.min(tmp[0]!, tmp[1]!, tmp[2]!);
          if (score > bestScore || (score === bestScore && t < best)) { bestScore = score; best = t; }
        }
      }
      if (best < 0) continue;
      uvBary(bary, 3 * p, uvs, faceUvs, best, D, px, py);
      triangle[p] = best;
      coverage[p] = 2;
      ring[p] = r;
    }
  }

  // 3. each vertex's UV position from the first corner that uses it
  const vertexUv = new Float64Array(2 * V).fill(NaN);
  for (let c = 0; c < faces.length; c++) {
    const v = faces[c]!;
    if (!Number.isNaN(vertexUv[2 * v]!)) continue;
    const k = faceUvs[c]!;
    vertexUv[2 * v] = uvs[2 * k]! * D;
    vertexUv[2 * v + 1] = (1 - uvs[2 * k + 1]!) * D;
  }
  return { size: D, triangle, bary, coverage, vertexUv };
}

/**
 * UV flow and its validity for one view. vertices: [V*3] world, metres (the labelled mesh, whose
 * faces the layout was built with); camera: the final image's; tester: depth tests against what was
 * rendered; own: the labelled mesh is the rendered one (enables the own-triangle visibility test).
 * out.flow: Float32Array [D*D*2], pixels (0 on empty texels); out.valid: Uint8Array [D*D].
 */
export function uvFlowLabels(
  out: { flow: Float32Array; valid: Uint8Array },
  layout: UvLayout,
  vertices: Float64Array,
  faces: Uint32Array,
  camera: Camera,
  tester: DepthTester,
  own: boolean,
): void {
  const D = layout.size, N = D * D;
  if (out.flow.length !== 2 * N || out.valid.length !== N) throw new RangeError(`uvFlowLabels: outputs must be ${D}×${D}×2 and ${D}×${D}`);
  const K = camera.K, Rt = camera.Rt;
  const k00 = K[0]!, k01 = K[1]!, k02 = K[2]!, k10 = K[3]!, k11 = K[4]!, k12 = K[5]!;
  const r00 = Rt[0]!, r01 = Rt[1]!, r02 = Rt[2]!, t0 = Rt[3]!;
  const r10 = Rt[4]!, r11 = Rt[5]!, r12 = Rt[6]!, t1 = Rt[7]!;
  const r20 = Rt[8]!, r21 = Rt[9]!, r22 = Rt[10]!, t2 = Rt[11]!;
  const { triangle, bary, coverage } = layout;
  const flow = out.flow, valid = out.valid;
  for (let p = 0; p < N; p++) {
    const t = triangle[p]!;
    if (t < 0) { flow[2 * p] = 0; flow[2 * p + 1] = 0; valid[p] = 0; continue; }
    const fa = faces[3 * t]!, fb = faces[3 * t + 1]!, fc = faces[3 * t + 2]!;
    const b0 = bary[3 * p]!, b1 = bary[3 * p + 1]!, b2 = bary[3 * p + 2]!;
    const X = b0 * vertices[3 * fa]! + b1 * vertices[3 * fb]! + b2 * vertices[3 * fc]!;
    const Y = b0 * vertices[3 * fa + 1]! + b1 * vertices[3 * fb + 1]! + b2 * vertices[3 * fc + 1]!;
    const Z = b0 * vertices[3 * fa + 2]! + b1 * vertices[3 * fb + 2]! + b2 * vertices[3 * fc + 2]!;
    // the same arithmetic as camera.ts projectWithDepth
    const x = r00 * X + r01 * Y + r02 * Z + t0;
    const y = r10 * X + r11 * Y + r12 * Z + t1;
    const z = r20 * X + r21 * Y + r22 * Z + t2;
    const mx = (k00 * x + k01 * y + k02 * z) / z;
    const my = (k10 * x + k11 * y + k12 * z) / z;
    flow[2 * p] = mx - ((p % D) + 0.5);
    flow[2 * p + 1] = my - (Math.floor(p / D) + 0.5);
    let ok = coverage[p] === 1 && tester.inView(mx, my, z);
    if (ok && !(own && tester.triangleAround(mx, my, t))) ok = tester.onSurface(mx, my, z, !own);
    valid[p] = ok ? 1 : 0;
  }
}

/**
 * Weight map [D*D]: each covered or gutter texel takes the weight of its face's corner with the
 * largest barycentric (the nearest vertex); empty texels get `empty`.
 */
export function uvWeightMap(layout: UvLayout, faces: Uint32Array, vertexWeight: ArrayLike<number>, empty = 0.005): Float32Array {
  const D = layout.size, N = D * D, out = new Float32Array(N);
  for (let p = 0; p < N; p++) {
    const t = layout.triangle[p]!;
    if (t < 0) { out[p] = empty; continue; }
    const b0 = layout.bary[3 * p]!, b1 = layout.bary[3 * p + 1]!, b2 = layout.bary[3 * p + 2]!;
    const k = b0 >= b1 ? (b0 >= b2 ? 0 : 2) : b1 >= b2 ? 1 : 2;
    out[p] = vertexWeight[faces[3 * t + k]!]!;
  }
  return out;
}

/**
 * Bilinear sample of a D×D×C map at UV-pixel position (x, y) (texel centres at i + ½), clamped to
 * the edge texels. out[o..o+C-1]; returns out.
 */
export function sampleBilinear<T extends Float64Array | Float32Array>(out: T, o: number, map: ArrayLike<number>, D: number, C: number, x: number, y: number): T {
  let fx = x - 0.5, fy = y - 0.5;
  if (!(fx > 0)) fx = 0; else if (fx > D - 1) fx = D - 1;
  if (!(fy > 0)) fy = 0; else if (fy > D - 1) fy = D - 1;
  const i0 = Math.floor(fx), j0 = Math.floor(fy);
  const i1 = Math.min(i0 + 1, D - 1), j1 = Math.min(j0 + 1, D - 1);
  const ax = fx - i0, ay = fy - j0;
  for (let c = 0; c < C; c++) {
    out[o + c] = (1 - ax) * (1 - ay) * map[(j0 * D + i0) * C + c]! + ax * (1 - ay) * map[(j0 * D + i1) * C + c]!
      + (1 - ax) * ay * map[(j1 * D + i0) * C + c]! + ax * ay * map[(j1 * D + i1) * C + c]!;
  }
  return out;
}
