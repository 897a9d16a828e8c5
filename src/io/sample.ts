/**
 * One synthetic training sample: an image and its exact labels, all in the final image's pixel
 * frame (DESIGN.md conventions: OpenCV camera, pixel (i, j) covers [i, i+1)×[j, j+1), UV row
 * (1 − v)·D and column u·D). Produced by the renderer, transformed by augmentation, written as
 * `images/<id>.png|jpg` + `labels/<id>.npz` (arrays under the names given below).
 *
 * Identities that hold for every sample, before and after augmentation:
 * - project(vertices, K, Rt) = mu;
 * - bilinear(uv_flow, vertex_uv) = mu − vertex_uv for visible vertices (where the flow is valid);
 * - mask, depth, normal, uv, triangle describe the same surface that `image` shows.
 */
export interface Sample {
  width: number;
  height: number;
  /** image: Float32Array [H*W*3], sRGB-encoded values in [0, 1] (as written to PNG/JPEG). */
  image: Float32Array;
  /** mask: Uint8Array [H*W], 1 where the head (or the rendered scan) covers the pixel centre. npz: `mask` [H,W]. */
  mask: Uint8Array;
  /** occlusion: Float32Array [H*W], occluder opacity in [0, 1] (0 = none). npz: `occlusion` [H,W]. */
  occlusion?: Float32Array;
  /** depth: Float32Array [H*W], camera z in metres, Infinity on background. npz: `depth` [H,W]. */
  depth?: Float32Array;
  /** normal: Float32Array [H*W*3], unit camera-space normals, 0 on background. npz: `normal` [H,W,3]. */
  normal?: Float32Array;
  /** uv: Float32Array [H*W*2], the surface's (u, v) (v up), NaN on background. npz: `uv` [H,W,2]. */
  uv?: Float32Array;
  /** triangle: Int32Array [H*W], face index, −1 on background. npz: `triangle` [H,W]. */
  triangle?: Int32Array;

  /** vertices: Float64Array [V*3], world space, metres. npz: `vertices` [V,3]. */
  vertices: Float64Array;
  /** mu: Float64Array [V*2], image position of every vertex, visible or not. npz: `mu` [V,2]. */
  mu: Float64Array;
  /** visible: Uint8Array [V], 1 when the vertex passes the depth test against the rendered surface. npz: `visible` [V]. */
  visible: Uint8Array;
  /** K: Float64Array [9] and Rt: Float64Array [12] of the final image (row-major 3×3 and 3×4). npz: `K` [3,3], `Rt` [3,4]. */
  K: Float64Array;
  Rt: Float64Array;

  /** Side D_uv of the UV maps. */
  uvSize: number;
  /** uvFlow: Float32Array [D*D*2], F(p) = μ(p) − p in pixels/UV-pixels. npz: `uv_flow` [D,D,2]. */
  uvFlow: Float32Array;
  /** uvFlowValid: Uint8Array [D*D], texel covered by the UV layout and its surface point visible. npz: `uv_flow_valid` [D,D]. */
  uvFlowValid: Uint8Array;
  /** uvWeight: Float32Array [D*D], 1 on face and ear regions, 0.005 elsewhere. npz: `uv_weight` [D,D]. */
  uvWeight: Float32Array;
  /** vertexUv: Float64Array [V*2], each vertex's UV position in UV-pixel units. npz: `vertex_uv` [V,2]. */
  vertexUv: Float64Array;
  /** vertexWeight: Float32Array [V], 1 on face and ear regions, 0.005 elsewhere. npz: `vertex_weight` [V]. */
  vertexWeight: Float32Array;
}
