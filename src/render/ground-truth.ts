/**
 * Exact ground truth of a view: the face crop as a camera, the vertices' image positions and
 * their visibility against the rendered surface.
 *
 * The crop is not a resampling: the square face box (enlarged by 20%) becomes the output image by
 * changing the intrinsics, K' = A·K with A = [[s, 0, −s·x0], [0, s, −s·y0], [0, 0, 1]] (s = D/side,
 * (x0, y0) the box corner), and the mesh is rasterised with K'. So `mu = project(vertices, K', Rt)`
 * holds to the last bit, and every map is rendered at the final resolution.
 *
 * Visibility of a surface point (a vertex, or a UV texel's point) at image position μ, camera depth
 * z: the image shows it at μ.
 * 1. μ outside [0, W)×[0, H) or z <= near: not visible;
 * 2. one of the ≤ 4 pixels whose centres surround μ shows a triangle the point lies on (for a vertex:
 *    a triangle using it; for a texel: its own triangle): visible. Only when the labels belong to
 *    the rendered mesh;
 * 3. otherwise the pixel containing μ must show a surface the point lies on: the depth of that
 *    pixel's triangle along the ray through μ (its plane, intersected exactly) is within `tolerance`
 *    of z (for a registration against its scan, divided by max(|cos|, 0.5) of the ray's angle to the
 *    triangle: the two surfaces are a few millimetres apart, more so along an oblique ray).
 *    Behind it: hidden; in front of it by more than the tolerance: a silhouette point whose own
 *    surface is not drawn at μ (or, for a registration against its scan, a part the scan does not
 *    have), not visible either; background at μ: not visible.
 * Step 2 decides exactly wherever the rendered mesh's own triangles show; the tolerance (default
 * 1 mm; 5 mm when a scan is rendered and its registration labelled) only decides the rest.
 */
import { UsageError } from '../util/errors.js';
import { type Camera, projectWithDepth } from './camera.js';
import type { RasterBuffers } from './rasterize.js';

/** A square box in image pixels. */
export interface Box {
  /** Centre, pixels. */
  cx: number;
  cy: number;
  /** Side, pixels. */
  side: number;
}

/** The enlargement of the face box (the paper's 20%). */
export const FACE_BOX_ENLARGE = 0.2;

/**
 * Square box around image points: centred on their bounding box, side = max(width, height)·(1 + enlarge).
 * xy: [N*2] pixels; indices: the points to use (all when absent); non-finite points are skipped.
 */
export function squareBox(xy: ArrayLike<number>, indices?: ArrayLike<number>, enlarge = FACE_BOX_ENLARGE): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const n = indices ? indices.length : Math.floor(xy.length / 2);
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k]! : k;
    const x = xy[2 * i]!, y = xy[2 * i + 1]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const side = Math.max(x1 - x0, y1 - y0) * (1 + enlarge);
  if (!(side > 0 && Number.isFinite(side))) throw new UsageError(`squareBox: the ${n} points span no area (side ${side}); is the mesh in front of the camera?`);
  return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, side };
}

/** The camera whose size×size image is `box` of `camera`'s image: K' = A·K (see the file header), same Rt. */
export function cropCamera(camera: Camera, box: Box, size: number): Camera {
  if (!(Number.isInteger(size) && size >= 1)) throw new UsageError(`cropCamera: size must be a positive integer, found ${size}`);
  if (!(box.side > 0)) throw new UsageError(`cropCamera: box side must be > 0, found ${box.side}`);
  const s = size / box.side, x0 = box.cx - box.side / 2, y0 = box.cy - box.side / 2;
  const K = camera.K;
  // rows of A·K: row0 = s·K0 − s·x0·K2, row1 = s·K1 − s·y0·K2, row2 = K2 = (0, 0, 1)
  const out = new Float64Array(9);
  for (let c = 0; c < 3; c++) {
    out[c] = s * K[c]! - s * x0 * K[6 + c]!;
    out[3 + c] = s * K[3 + c]! - s * y0 * K[6 + c]!;
    out[6 + c] = K[6 + c]!;
  }
  return { K: out, Rt: Float64Array.from(camera.Rt), width: size, height: size };
}

/** A rendered surface: the mesh that was rasterised into `raster` through `camera`. */
export interface RenderedSurface {
  positions: Float64Array;
  faces: Uint32Array;
  camera: Camera;
  raster: RasterBuffers;
}

export interface VisibilityOptions {
  /** A point this far (metres) behind the rendered surface along its ray still counts as visible. Default 1e-3. */
  tolerance?: number;
  /** Points at camera z <= near are not visible. Default 1e-3 (as the rasteriser). */
  near?: number;
}

export const VISIBILITY_DEFAULTS: Required<VisibilityOptions> = { tolerance: 1e-3, near: 1e-3 };

/** Depth tests of points against a rendered surface (see the file header). Holds no per-query allocation. */
export class DepthTester {
  readonly width: number;
  readonly height: number;
  private readonly tri: Int32Array;
  private readonly depth: Float32Array;
  private readonly faces: Uint32Array;
  private readonly positions: Float64Array;
  private readonly Rt: Float64Array;
  private readonly tolerance: number;
  private readonly near: number;
  // K⁻¹ for the rays: d_y = (y − cy)/fy, d_x = (x − cx − skew·d_y)/fx
  private readonly fx: number; private readonly fy: number; private readonly cx: number; private readonly cy: number; private readonly skew: number;

  constructor(surface: RenderedSurface, options: VisibilityOptions = {}) {
    const o = { ...VISIBILITY_DEFAULTS, ...options };
    const { camera, raster } = surface;
    if (raster.width !== camera.width || raster.height !== camera.height) throw new RangeError(`DepthTester: raster is ${raster.width}×${raster.height}, camera ${camera.width}×${camera.height}`);
    if (!(o.tolerance >= 0)) throw new UsageError(`visibility tolerance must be >= 0, found ${o.tolerance}`);
    this.width = raster.width; this.height = raster.height;
    this.tri = raster.triangle; this.depth = raster.depth;
    this.faces = surface.faces; this.positions = surface.positions; this.Rt = camera.Rt;
    this.tolerance = o.tolerance; this.near = o.near;
    const K = camera.K;
    this.fx = K[0]!; this.skew = K[1]!; this.cx = K[2]!; this.fy = K[4]!; this.cy = K[5]!;
  }

  /**
   * Whether one of the ≤ 4 pixels whose centres surround (x, y) shows a triangle that uses vertex
   * a, b or c of the surface mesh (pass a = b = c for one vertex).
   */
  ownAround(x: number, y: number, a: number, b: number, c: number): boolean {
    const W = this.width, H = this.height, tri = this.tri, F = this.faces;
    const i0 = Math.floor(x - 0.5), j0 = Math.floor(y - 0.5);
    for (let j = j0; j <= j0 + 1; j++) {
      if (j < 0 || j >= H) continue;
      for (let i = i0; i <= i0 + 1; i++) {
        if (i < 0 || i >= W) continue;
        const t = tri[j * W + i]!;
        if (t < 0) continue;
        const f0 = F[3 * t]!, f1 = F[3 * t + 1]!, f2 = F[3 * t + 2]!;
        if (f0 === a || f1 === a || f2 === a || f0 === b || f1 === b || f2 === b || f0 === c || f1 === c || f2 === c) return true;
      }
    }
    return false;
  }

  /** Whether one of the ≤ 4 pixels whose centres surround (x, y) shows triangle t. */
  triangleAround(x: number, y: number, t: number): boolean {
    const W = this.width, H = this.height, tri = this.tri;
    const i0 = Math.floor(x - 0.5), j0 = Math.floor(y - 0.5);
    for (let j = j0; j <= j0 + 1; j++) {
      if (j < 0 || j >= H) continue;
      for (let i = i0; i <= i0 + 1; i++) if (i >= 0 && i < W && tri[j * W + i] === t) return true;
    }
    return false;
  }

  /** Whether (x, y) lies in the image and z in front of the near plane (test step 1). */
  inView(x: number, y: number, z: number): boolean {
    return x >= 0 && x < this.width && y >= 0 && y < this.height && z > this.near;
  }

  /**
   * Step 3: the pixel containing (x, y) shows a surface whose depth along the ray through (x, y) is
   * within the tolerance of z. For foreign points (`oblique`), the tolerance grows as the ray grazes
   * that surface, up to twice (÷ max(|cos|, 0.5)): a point d off a surface lies d/|cos| off it along
   * the ray. Assumes `inView`.
   */
  onSurface(x: number, y: number, z: number, oblique = false): boolean {
    const q = Math.floor(y) * this.width + Math.floor(x);
    const t = this.tri[q]!;
    if (t < 0) return false;
    const d = this.surfaceDepth(t, x, y, this.depth[q]!);
    return Math.abs(z - d) <= (oblique ? this.tolerance / Math.max(this._cos, 0.5) : this.tolerance);
  }

  /** |cos| of the angle between the last `surfaceDepth` ray and its triangle's normal. */
  private _cos = 1;

  /** Depth of triangle t's plane along the ray through (x, y); `fallback` when the ray grazes the plane. */
  surfaceDepth(t: number, x: number, y: number, fallback: number): number {
    const P = this.positions, F = this.faces, R = this.Rt;
    const ia = 3 * F[3 * t]!, ib = 3 * F[3 * t + 1]!, ic = 3 * F[3 * t + 2]!;
    const r00 = R[0]!, r01 = R[1]!, r02 = R[2]!, r10 = R[4]!, r11 = R[5]!, r12 = R[6]!, r20 = R[8]!, r21 = R[9]!, r22 = R[10]!;
    const Ax = P[ia]!, Ay = P[ia + 1]!, Az = P[ia + 2]!;
    const ax = r00 * Ax + r01 * Ay + r02 * Az + R[3]!, ay = r10 * Ax + r11 * Ay + r12 * Az + R[7]!, az = r20 * Ax + r21 * Ay + r22 * Az + R[11]!;
    // edge vectors rotate without the translation
    const Ux = P[ib]! - Ax, Uy = P[ib + 1]! - Ay, Uz = P[ib + 2]! - Az;
    const Vx = P[ic]! - Ax, Vy = P[ic + 1]! - Ay, Vz = P[ic + 2]! - Az;
    const ux = r00 * Ux + r01 * Uy + r02 * Uz, uy = r10 * Ux + r11 * Uy + r12 * Uz, uz = r20 * Ux + r21 * Uy + r22 * Uz;
    const vx = r00 * Vx + r01 * Vy + r02 * Vz, vy = r10 * Vx + r11 * Vy + r12 * Vz, vz = r20 * Vx + r21 * Vy + r22 * Vz;
    const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
    const dy = (y - this.cy) / this.fy, dx = (x - this.cx - this.skew * dy) / this.fx;
    const nd = nx * dx + ny * dy + nz;
    const nn = Math.sqrt(nx * nx + ny * ny + nz * nz) * Math.sqrt(dx * dx + dy * dy + 1);
    this._cos = nn > 0 ? Math.abs(nd) / nn : 0;
    if (!(Math.abs(nd) > 0.02 * nn)) return fallback; // within ~1° of grazing: the pixel centre's depth
    return (nx * ax + ny * ay + nz * az) / nd;
  }

  /** Full test of a vertex of the rendered mesh (own = true) or of a foreign point (own = false). */
  vertexVisible(x: number, y: number, z: number, vertex: number, own: boolean): boolean {
    if (!this.inView(x, y, z)) return false;
    if (own && this.ownAround(x, y, vertex, vertex, vertex)) return true;
    return this.onSurface(x, y, z, !own);
  }
}

/**
 * Image positions and visibility of every vertex. vertices: [V*3] world, metres; out.mu: [V*2]
 * pixels, out.z: [V] camera z, metres, out.visible: Uint8Array [V] (0/1). `own`: the vertices are
 * those of the rendered mesh (same indices), which enables test step 2.
 */
export function vertexLabels(
  out: { mu: Float64Array; z: Float64Array; visible: Uint8Array },
  vertices: Float64Array,
  camera: Camera,
  tester: DepthTester,
  own: boolean,
): void {
  const V = vertices.length / 3;
  if (out.mu.length !== 2 * V || out.z.length !== V || out.visible.length !== V) throw new RangeError(`vertexLabels: outputs must hold ${V} vertices`);
  projectWithDepth(out.mu, out.z, vertices, camera);
  for (let v = 0; v < V; v++) out.visible[v] = tester.vertexVisible(out.mu[2 * v]!, out.mu[2 * v + 1]!, out.z[v]!, v, own) ? 1 : 0;
}

/**
 * Per-vertex weights from named regions: `inside` for vertices in any of `names`, `outside` for the
 * rest (the paper's 1 on face and ears, 0.005 elsewhere). With none of the names present, all `inside`.
 */
export function regionWeights(V: number, regions: Record<string, ArrayLike<number>>, names: readonly string[] = ['face', 'left_ear', 'right_ear'], inside = 1, outside = 0.005): Float32Array {
  const present = names.filter((n) => regions[n] !== undefined && regions[n]!.length > 0);
  const out = new Float32Array(V).fill(present.length ? outside : inside);
  for (const n of present) {
    const idx = regions[n]!;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!;
      if (i < V) out[i] = inside;
    }
  }
  return out;
}
