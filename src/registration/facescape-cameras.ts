/**
 * FaceScape multi-view cameras (`{id}/{k}_{expression}/params.json`): per view `{v}_K` (3×3),
 * `{v}_Rt` (3×4, OpenCV, scan frame → camera), `{v}_distortion` (k1, k2, p1, p2, k3),
 * `{v}_width`, `{v}_height`, `{v}_valid`. Projection applies the distortion (the photos are the
 * distorted images); lifting a pixel back to a ray undoes it (iteratively, as OpenCV's
 * undistortPoints).
 */
import { readFileSync, existsSync } from 'node:fs';
import { FormatError } from '../util/errors.js';

export interface ViewCamera {
  view: number;
  /** K [9] row-major, Rt [12] row-major (scan units), distortion [5] (k1, k2, p1, p2, k3). */
  K: Float64Array;
  Rt: Float64Array;
  distortion: Float64Array;
  width: number;
  height: number;
  valid: boolean;
}

/** Reads params.json; views sorted by index. */
export function readFacescapeParams(path: string): ViewCamera[] {
  if (!existsSync(path)) throw new FormatError(path, undefined, 'camera parameters (params.json) not found');
  let data: Record<string, unknown>;
  try { data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>; } catch (e) { throw new FormatError(path, undefined, `not valid JSON: ${(e as Error).message}`); }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new FormatError(path, undefined, 'expected an object with {view}_K, {view}_Rt, ... keys');
  const views = new Set<number>();
  for (const k of Object.keys(data)) { const m = /^(\d+)_K$/.exec(k); if (m) views.add(Number(m[1])); }
  if (!views.size) throw new FormatError(path, undefined, 'no {view}_K entries');
  const flat = (key: string, n: number, required = true): Float64Array | undefined => {
    const v = data[key];
    if (v === undefined) { if (required) throw new FormatError(path, `key '${key}'`, 'missing'); return undefined; }
    const a = (Array.isArray(v) ? v.flat(2) : [v]) as unknown[];
    if (a.length !== n || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new FormatError(path, `key '${key}'`, `expected ${n} finite numbers, found ${JSON.stringify(v).slice(0, 80)}`);
    return Float64Array.from(a as number[]);
  };
  const out: ViewCamera[] = [];
  for (const v of [...views].sort((a, b) => a - b)) {
    const K = flat(`${v}_K`, 9)!, Rt = flat(`${v}_Rt`, 12)!;
    const distortion = flat(`${v}_distortion`, 5, false) ?? new Float64Array(5);
    const width = Number(data[`${v}_width`]), height = Number(data[`${v}_height`]);
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) throw new FormatError(path, `view ${v}`, `width/height must be positive integers, found ${data[`${v}_width`]}×${data[`${v}_height`]}`);
    const valid = data[`${v}_valid`] === undefined ? true : Boolean(data[`${v}_valid`]);
    out.push({ view: v, K, Rt, distortion, width, height, valid });
  }
  return out;
}

/** Camera centre in the scan frame: −Rᵀt. */
export function cameraCentre(c: ViewCamera): [number, number, number] {
  const R = c.Rt, t = [R[3]!, R[7]!, R[11]!];
  return [0, 1, 2].map((a) => -(R[a]! * t[0]! + R[4 + a]! * t[1]! + R[8 + a]! * t[2]!)) as [number, number, number];
}

/** Viewing direction (camera +Z) in the scan frame: third row of R. */
export function cameraForward(c: ViewCamera): [number, number, number] {
  return [c.Rt[8]!, c.Rt[9]!, c.Rt[10]!];
}

/** Applies OpenCV's distortion to normalised coordinates (x, y). */
export function distort(d: Float64Array, x: number, y: number): [number, number] {
  const [k1, k2, p1, p2, k3] = d as unknown as number[];
  const r2 = x * x + y * y, radial = 1 + r2 * (k1! + r2 * (k2! + r2 * k3!));
  return [x * radial + 2 * p1! * x * y + p2! * (r2 + 2 * x * x), y * radial + p1! * (r2 + 2 * y * y) + 2 * p2! * x * y];
}

/** Inverts `distort` by fixed-point iteration (OpenCV's undistortPoints). */
export function undistort(d: Float64Array, xd: number, yd: number): [number, number] {
  if (d.every((v) => v === 0)) return [xd, yd];
  let x = xd, y = yd;
  for (let it = 0; it < 20; it++) {
    const [k1, k2, p1, p2, k3] = d as unknown as number[];
    const r2 = x * x + y * y, radial = 1 + r2 * (k1! + r2 * (k2! + r2 * k3!));
    const dx = 2 * p1! * x * y + p2! * (r2 + 2 * x * x), dy = p1! * (r2 + 2 * y * y) + 2 * p2! * x * y;
    x = (xd - dx) / radial; y = (yd - dy) / radial;
  }
  return [x, y];
}

/** Pixel position (DESIGN convention) and depth of a scan-frame point. */
export function projectDistorted(c: ViewCamera, X: number, Y: number, Z: number): { u: number; v: number; depth: number } {
  const R = c.Rt, K = c.K;
  const x = R[0]! * X + R[1]! * Y + R[2]! * Z + R[3]!, y = R[4]! * X + R[5]! * Y + R[6]! * Z + R[7]!, z = R[8]! * X + R[9]! * Y + R[10]! * Z + R[11]!;
  const [xd, yd] = distort(c.distortion, x / z, y / z);
  return { u: K[0]! * xd + K[1]! * yd + K[2]!, v: K[4]! * yd + K[5]!, depth: z };
}

/** The ray (origin = camera centre, unit direction) through a pixel position, scan frame. */
export function pixelRay(c: ViewCamera, u: number, v: number): { origin: [number, number, number]; direction: [number, number, number] } {
  const K = c.K, R = c.Rt;
  const yd = (v - K[5]!) / K[4]!, xd = (u - K[2]! - K[1]! * yd) / K[0]!;
  const [x, y] = undistort(c.distortion, xd, yd);
  const d = [0, 1, 2].map((a) => R[a]! * x + R[4 + a]! * y + R[8 + a]!);
  const n = Math.hypot(d[0]!, d[1]!, d[2]!);
  return { origin: cameraCentre(c), direction: [d[0]! / n, d[1]! / n, d[2]! / n] };
}
