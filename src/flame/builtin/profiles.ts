/**
 * The base head shape of the built-in model: a surface of revolution-like sheet parametrised by
 * longitude θ (0 = front, +π/2 = the subject's left, +X) and level t (0 = crown … 15 = neck base).
 *
 * Three hand-measured profiles (front midline, side, back; metres, adult head: 15.4 cm wide, 20 cm
 * long, 22.4 cm crown to chin) give (ρ, y) at 16 anatomical levels; across θ they are blended by the
 * interpolating cosine series ρ(θ) = a0 + a1 cos θ + a2 cos 2θ (same for y), and along t by a
 * Catmull–Rom spline. A point is (ρ sin θ, y, ρ cos θ).
 */

/** Anatomical levels, for reference: crown, top, hairline, forehead, brow, eyes, mid-nose,
 *  subnasal, mouth, chin-upper, chin, chin-bottom, under-chin, neck-top, neck-mid, neck-base. */
export const LEVELS = 16;

// (ρ, y) per level, metres.
const FRONT: ReadonlyArray<readonly [number, number]> = [
  [0.0, 0.118], [0.045, 0.113], [0.078, 0.088], [0.092, 0.058], [0.096, 0.040], [0.092, 0.028],
  [0.094, 0.005], [0.095, -0.024], [0.097, -0.046], [0.092, -0.068], [0.094, -0.088], [0.081, -0.106],
  [0.046, -0.113], [0.047, -0.135], [0.051, -0.165], [0.055, -0.200],
];
const SIDE: ReadonlyArray<readonly [number, number]> = [
  [0.0, 0.118], [0.050, 0.110], [0.069, 0.088], [0.075, 0.060], [0.077, 0.040], [0.077, 0.028],
  [0.075, 0.005], [0.072, -0.020], [0.067, -0.042], [0.061, -0.060], [0.057, -0.075], [0.054, -0.090],
  [0.052, -0.105], [0.053, -0.135], [0.055, -0.165], [0.058, -0.200],
];
const BACK: ReadonlyArray<readonly [number, number]> = [
  [0.0, 0.118], [0.055, 0.110], [0.085, 0.086], [0.099, 0.056], [0.103, 0.035], [0.103, 0.020],
  [0.100, 0.000], [0.093, -0.025], [0.083, -0.048], [0.071, -0.065], [0.063, -0.080], [0.058, -0.095],
  [0.056, -0.110], [0.055, -0.135], [0.056, -0.165], [0.058, -0.200],
];

/** Cosine-series coefficients per level for ρ and y: [a0, a1, a2] each. */
const SERIES = (() => {
  const out = new Float64Array(LEVELS * 6);
  for (let l = 0; l < LEVELS; l++) {
    for (let q = 0; q < 2; q++) {
      const F = FRONT[l]![q]!, S = SIDE[l]![q]!, B = BACK[l]![q]!;
      const a1 = (F - B) / 2;
      const a0 = ((F + B) / 2 + S) / 2;
      const a2 = ((F + B) / 2 - S) / 2;
      out[l * 6 + q * 3] = a0; out[l * 6 + q * 3 + 1] = a1; out[l * 6 + q * 3 + 2] = a2;
    }
  }
  return out;
})();

/** Catmull–Rom interpolation of per-level values at fractional level t ∈ [0, LEVELS−1]. */
function catmullRom(values: (l: number) => number, t: number): number {
  const l1 = Math.min(LEVELS - 2, Math.max(0, Math.floor(t)));
  const u = t - l1;
  const l0 = Math.max(0, l1 - 1), l2 = l1 + 1, l3 = Math.min(LEVELS - 1, l1 + 2);
  const p0 = values(l0), p1 = values(l1), p2 = values(l2), p3 = values(l3);
  const u2 = u * u, u3 = u2 * u;
  return 0.5 * (2 * p1 + (-p0 + p2) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u2 + (-p0 + 3 * p1 - 3 * p2 + p3) * u3);
}

/** Base surface point at (θ, t): out = [x, y, z], metres. */
export function basePoint(out: Float64Array, theta: number, t: number): Float64Array {
  const c1 = Math.cos(theta), c2 = Math.cos(2 * theta);
  const at = (l: number, q: number): number => SERIES[l * 6 + q * 3]! + SERIES[l * 6 + q * 3 + 1]! * c1 + SERIES[l * 6 + q * 3 + 2]! * c2;
  const rho = Math.max(0, catmullRom((l) => at(l, 0), t));
  const y = catmullRom((l) => at(l, 1), t);
  out[0] = rho * Math.sin(theta);
  out[1] = y;
  out[2] = rho * Math.cos(theta);
  return out;
}

const _a = new Float64Array(3), _b = new Float64Array(3), _c = new Float64Array(3), _d = new Float64Array(3);
/** Outward unit normal of the base surface at (θ, t), by central differences. */
export function baseNormal(out: Float64Array, theta: number, t: number): Float64Array {
  const h = 1e-4;
  basePoint(_a, theta + h, t); basePoint(_b, theta - h, t);
  basePoint(_c, theta, Math.min(LEVELS - 1, t + h)); basePoint(_d, theta, Math.max(0, t - h));
  // ∂P/∂θ points towards +X at the front (the subject's left); ∂P/∂t points down.
  const ux = _a[0]! - _b[0]!, uy = _a[1]! - _b[1]!, uz = _a[2]! - _b[2]!;
  const vx = _c[0]! - _d[0]!, vy = _c[1]! - _d[1]!, vz = _c[2]! - _d[2]!;
  // outward = ∂P/∂t × ∂P/∂θ (at the front: down × left = forward)
  let nx = vy * uz - vz * uy, ny = vz * ux - vx * uz, nz = vx * uy - vy * ux;
  const n = Math.hypot(nx, ny, nz) || 1;
  nx /= n; ny /= n; nz /= n;
  out[0] = nx; out[1] = ny; out[2] = nz;
  return out;
}
