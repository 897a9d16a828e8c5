/**
 * A hand-built synthetic Sample with analytic labels: a square plane (world z = 0, X and Y in
 * [−H, H], H = 0.15 m) seen by a pinhole camera, 64×64 pixels, UV maps of side 16.
 * UV: u = (X + H)/2H, v = (Y + H)/2H (v up), so a UV pixel position is (u·D, (1 − v)·D).
 * Vertices: a 5×5 grid at u, v ∈ {0.1, 0.3, 0.5, 0.7, 0.9} (inside the texel-centre range, where
 * bilinear sampling of an affine function is exact).
 * With `tilt: false` the plane faces the camera (rotated only about the optical axis), so μ is an
 * affine function of the UV position and the analytic flow is exact under bilinear sampling.
 */
import type { Sample } from '../../src/io/sample.js';

export const HALF = 0.15;

export interface PlaneOptions { width?: number; height?: number; uvSize?: number; tilt?: boolean; focal?: number; distance?: number }

function rotation(ax: number, ay: number, az: number): number[] {
  const cx = Math.cos(ax), sx = Math.sin(ax), cy = Math.cos(ay), sy = Math.sin(ay), cz = Math.cos(az), sz = Math.sin(az);
  const Rx = [1, 0, 0, 0, cx, -sx, 0, sx, cx], Ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy], Rz = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
  return mul3(mul3(Rx, Ry), Rz);
}

export function mul3(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out.push(a[3 * i]! * b[j]! + a[3 * i + 1]! * b[3 + j]! + a[3 * i + 2]! * b[6 + j]!);
  return out;
}

/** Pixel positions of world points: [N*3] → Float64Array [N*2]. */
export function project(points: ArrayLike<number>, K: ArrayLike<number>, Rt: ArrayLike<number>): Float64Array {
  const n = points.length / 3, out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const X = points[3 * i]!, Y = points[3 * i + 1]!, Z = points[3 * i + 2]!;
    const x = Rt[0]! * X + Rt[1]! * Y + Rt[2]! * Z + Rt[3]!;
    const y = Rt[4]! * X + Rt[5]! * Y + Rt[6]! * Z + Rt[7]!;
    const z = Rt[8]! * X + Rt[9]! * Y + Rt[10]! * Z + Rt[11]!;
    out[2 * i] = (K[0]! * x + K[1]! * y + K[2]! * z) / z;
    out[2 * i + 1] = (K[3]! * x + K[4]! * y + K[5]! * z) / z;
  }
  return out;
}

/**
 * Where the ray through image point (qx, qy) meets the plane z = 0 (world): the world point,
 * its camera depth and the plane's camera-space normal (facing the camera).
 */
export function castRay(qx: number, qy: number, K: ArrayLike<number>, Rt: ArrayLike<number>): { X: number; Y: number; depth: number; normal: [number, number, number] } {
  // camera ray d = K⁻¹(q, 1) with d_z = 1 (K upper triangular)
  const dy = (qy - K[5]!) / K[4]!, dx = (qx - K[2]! - K[1]! * dy) / K[0]!;
  // plane: camera-space normal n = R·e_z, through t; points z·d with n·(z·d − t) = 0
  const nx = Rt[2]!, ny = Rt[6]!, nz = Rt[10]!, tx = Rt[3]!, ty = Rt[7]!, tz = Rt[11]!;
  const z = (nx * tx + ny * ty + nz * tz) / (nx * dx + ny * dy + nz);
  // world = Rᵀ(z·d − t)
  const cx = z * dx - tx, cy = z * dy - ty, cz = z - tz;
  const X = Rt[0]! * cx + Rt[4]! * cy + Rt[8]! * cz, Y = Rt[1]! * cx + Rt[5]! * cy + Rt[9]! * cz;
  const facing = nx * tx + ny * ty + nz * tz < 0 ? 1 : -1; // normal towards the camera: n·t < 0
  return { X, Y, depth: z, normal: [facing * nx, facing * ny, facing * nz] };
}

export function planeSample(options: PlaneOptions = {}): Sample {
  const W = options.width ?? 64, H = options.height ?? 64, D = options.uvSize ?? 16, f = options.focal ?? 70, dist = options.distance ?? 0.5;
  const K = new Float64Array([f, 0, W / 2, 0, f, H / 2, 0, 0, 1]);
  const R = options.tilt ? rotation(0.45, -0.35, 0.3) : rotation(0, 0, 0.3);
  const Rt = new Float64Array([R[0]!, R[1]!, R[2]!, 0.01, R[3]!, R[4]!, R[5]!, -0.015, R[6]!, R[7]!, R[8]!, dist]);

  const grid = [0.1, 0.3, 0.5, 0.7, 0.9], V = 25;
  const vertices = new Float64Array(3 * V), vertexUv = new Float64Array(2 * V);
  for (let j = 0; j < 5; j++) {
    for (let i = 0; i < 5; i++) {
      const k = 5 * j + i, u = grid[i]!, v = grid[j]!;
      vertices.set([-HALF + 2 * HALF * u, -HALF + 2 * HALF * v, 0], 3 * k);
      vertexUv.set([u * D, (1 - v) * D], 2 * k);
    }
  }
  const mu = project(vertices, K, Rt);
  const visible = new Uint8Array(V).map((_, k) => (k % 7 === 3 ? 0 : 1));

  const n = W * H;
  const image = new Float32Array(3 * n), mask = new Uint8Array(n), depth = new Float32Array(n).fill(Infinity);
  const normal = new Float32Array(3 * n), uv = new Float32Array(2 * n).fill(NaN), triangle = new Int32Array(n).fill(-1);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x, hit = castRay(x + 0.5, y + 0.5, K, Rt);
      image[3 * p] = (x + 0.5) / W;
      image[3 * p + 1] = (y + 0.5) / H;
      const u = (hit.X + HALF) / (2 * HALF), v = (hit.Y + HALF) / (2 * HALF);
      const inside = hit.depth > 0 && u >= 0 && u <= 1 && v >= 0 && v <= 1;
      image[3 * p + 2] = inside ? 0.75 : 0.25;
      if (!inside) continue;
      mask[p] = 1;
      depth[p] = hit.depth;
      normal.set(hit.normal, 3 * p);
      uv[2 * p] = u;
      uv[2 * p + 1] = v;
      triangle[p] = u > v ? 0 : 1;
    }
  }

  const uvFlow = new Float32Array(2 * D * D);
  const surface = new Float64Array(3);
  for (let row = 0; row < D; row++) {
    for (let col = 0; col < D; col++) {
      const px = col + 0.5, py = row + 0.5, u = px / D, v = 1 - py / D;
      surface.set([-HALF + 2 * HALF * u, -HALF + 2 * HALF * v, 0]);
      const m = project(surface, K, Rt);
      uvFlow[2 * (row * D + col)] = m[0]! - px;
      uvFlow[2 * (row * D + col) + 1] = m[1]! - py;
    }
  }
  return {
    width: W, height: H, image, mask, depth, normal, uv, triangle,
    vertices, mu, visible, K, Rt,
    uvSize: D, uvFlow, uvFlowValid: new Uint8Array(D * D).map((_, t) => (t % 5 === 0 ? 0 : 1)), uvWeight: new Float32Array(D * D).fill(1), vertexUv, vertexWeight: new Float32Array(V).fill(1),
  };
}

/**
 * Bilinear sample of an interleaved map [rows*cols*C] at continuous position (x, y) under the
 * pixel-centre convention (texel (c, r) centred at (c + ½, r + ½)), border texels replicated.
 */
export function bilinear(map: ArrayLike<number>, cols: number, rows: number, C: number, x: number, y: number, out: number[] = []): number[] {
  const sx = x - 0.5, sy = y - 0.5, x0 = Math.floor(sx), y0 = Math.floor(sy), fx = sx - x0, fy = sy - y0;
  const cx = (i: number): number => Math.min(cols - 1, Math.max(0, i)), cy = (i: number): number => Math.min(rows - 1, Math.max(0, i));
  for (let c = 0; c < C; c++) {
    const a = map[(cy(y0) * cols + cx(x0)) * C + c]!, b = map[(cy(y0) * cols + cx(x0 + 1)) * C + c]!;
    const d = map[(cy(y0 + 1) * cols + cx(x0)) * C + c]!, e = map[(cy(y0 + 1) * cols + cx(x0 + 1)) * C + c]!;
    out[c] = (1 - fy) * ((1 - fx) * a + fx * b) + fy * ((1 - fx) * d + fx * e);
  }
  return out;
}

/** Every array-valued field of a sample, by name (for byte comparisons). */
export function arrays(sample: Sample): Record<string, ArrayLike<number>> {
  const out: Record<string, ArrayLike<number>> = {};
  for (const [k, v] of Object.entries(sample)) if (ArrayBuffer.isView(v)) out[k] = v as unknown as ArrayLike<number>;
  return out;
}

/** The bytes of a typed array (for exact equality, NaN included). */
export function bytes(a: ArrayLike<number>): Uint8Array {
  const v = a as unknown as ArrayBufferView;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** True when the two samples hold identical bytes in every field. */
export function sameBytes(a: Sample, b: Sample): boolean {
  const A = arrays(a), B = arrays(b);
  if (Object.keys(A).sort().join() !== Object.keys(B).sort().join()) return false;
  for (const k of Object.keys(A)) if (Buffer.compare(bytes(A[k]!), bytes(B[k]!)) !== 0) return false;
  return a.width === b.width && a.height === b.height && a.uvSize === b.uvSize;
}
