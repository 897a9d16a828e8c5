/**
 * Lights of a view, in world space and linear RGB: ambient, a spherical-harmonics environment
 * (order 2), directional lights and point lights; and light colours from a colour temperature.
 *
 * Units, chosen so every term means the same thing to the shader (`render-view.ts`):
 * - `ambient` [r, g, b]: a uniform environment's radiance; a Lambert surface of albedo ρ shows ρ·ambient.
 * - `sh` [27]: the environment's radiance L(ω) = Σ_i L_i Y_i(ω) in real spherical harmonics up to
 *   l = 2; a Lambert surface with normal n shows ρ·E(n)/π, E the irradiance (Ramamoorthi & Hanrahan
 *   2001, "An efficient representation for irradiance environment maps", eq. 13). A uniform
 *   environment L gives L_00 = √(4π)·L and ρ·E/π = ρ·L, the same as `ambient` = L.
 * - directional `color`: a Lambert surface facing the light shows ρ·color.
 * - point `color`: the same at 1 m; the light falls off with the inverse square of the distance.
 */
import type { DirectionalLight, Lights } from './shade.js';

export type { DirectionalLight } from './shade.js';
export type Rgb = [number, number, number];

export interface PointLight {
  /** position: world, metres. */
  position: [number, number, number];
  /** color: linear RGB; what a Lambert surface of albedo 1 facing the light shows at 1 m. */
  color: Rgb;
}

/** Everything that lights a view. Extends shade.ts's `Lights` (ambient + directional). */
export interface LightRig extends Lights {
  ambient: Rgb;
  /**
   * sh: Float64Array [9*3], environment radiance coefficients, entry 3·i + c for basis function i
   * and channel c, basis order (l, m) = (0,0), (1,−1), (1,0), (1,1), (2,−2), (2,−1), (2,0), (2,1), (2,2),
   * i.e. Y ∝ 1, y, z, x, xy, yz, 3z²−1, xz, x²−y² (world axes). Absent: no environment.
   */
  sh?: Float64Array;
  directional: DirectionalLight[];
  point: PointLight[];
}

/** Real spherical harmonics Y_i(x, y, z) for i = 0..8 (unit direction), in the order above. out: [9]. */
export function shBasis(out: Float64Array, x: number, y: number, z: number): Float64Array {
  out[0] = 0.282095;
  out[1] = 0.488603 * y;
  out[2] = 0.488603 * z;
  out[3] = 0.488603 * x;
  out[4] = 1.092548 * x * y;
  out[5] = 1.092548 * y * z;
  out[6] = 0.315392 * (3 * z * z - 1);
  out[7] = 1.092548 * x * z;
  out[8] = 0.546274 * (x * x - y * y);
  return out;
}

// Ramamoorthi & Hanrahan's constants for the irradiance of an order-2 environment.
const C1 = 0.429043, C2 = 0.511664, C3 = 0.743125, C4 = 0.886227, C5 = 0.247708;

/**
 * Irradiance E(n) of channel c of an SH environment at unit normal (x, y, z):
 * E = c1 L22 (x² − y²) + c3 L20 z² + c4 L00 − c5 L20 + 2 c1 (L2−2 xy + L21 xz + L2−1 yz) + 2 c2 (L11 x + L1−1 y + L10 z).
 */
export function shIrradiance(sh: ArrayLike<number>, c: number, x: number, y: number, z: number): number {
  const L00 = sh[c]!, L1m1 = sh[3 + c]!, L10 = sh[6 + c]!, L11 = sh[9 + c]!;
  const L2m2 = sh[12 + c]!, L2m1 = sh[15 + c]!, L20 = sh[18 + c]!, L21 = sh[21 + c]!, L22 = sh[24 + c]!;
  return C1 * L22 * (x * x - y * y) + C3 * L20 * z * z + C4 * L00 - C5 * L20
    + 2 * C1 * (L2m2 * x * y + L21 * x * z + L2m1 * y * z)
    + 2 * C2 * (L11 * x + L1m1 * y + L10 * z);
}

/**
 * The 9×3 quadratic form M_c of the irradiance (R&H eq. 12) per channel: E_c(n) = nᵀ M_c n with
 * n = (x, y, z, 1). out: Float64Array [3*16], row-major 4×4 per channel. The shader's fast path.
 */
export function shIrradianceMatrices(sh: ArrayLike<number>, out = new Float64Array(48)): Float64Array {
  for (let c = 0; c < 3; c++) {
    const L00 = sh[c]!, L1m1 = sh[3 + c]!, L10 = sh[6 + c]!, L11 = sh[9 + c]!;
    const L2m2 = sh[12 + c]!, L2m1 = sh[15 + c]!, L20 = sh[18 + c]!, L21 = sh[21 + c]!, L22 = sh[24 + c]!;
    const m = [
      C1 * L22, C1 * L2m2, C1 * L21, C2 * L11,
      C1 * L2m2, -C1 * L22, C1 * L2m1, C2 * L1m1,
      C1 * L21, C1 * L2m1, C3 * L20, C2 * L10,
      C2 * L11, C2 * L1m1, C2 * L10, C4 * L00 - C5 * L20,
    ];
    for (let k = 0; k < 16; k++) out[16 * c + k] = m[k]!;
  }
  return out;
}

/**
 * Linear-sRGB colour of a black body at `kelvin` (1667–25000 K), luminance Y = 1 (so 6500 K is close
 * to (1, 1, 1)); negative components clamped to 0. Chromaticity from the Planckian-locus cubic
 * splines of Kim et al. (2002, US patent 7024034), then XYZ → linear sRGB (IEC 61966-2-1 matrix).
 */
export function colorTemperature(kelvin: number): Rgb {
  const T = Math.min(25000, Math.max(1667, kelvin));
  const t1 = 1e3 / T, t2 = t1 * t1, t3 = t2 * t1;
  const x = T <= 4000
    ? -0.2661239 * t3 - 0.2343589 * t2 + 0.8776956 * t1 + 0.17991
    : -3.0258469 * t3 + 2.1070379 * t2 + 0.2226347 * t1 + 0.24039;
  const x2 = x * x, x3 = x2 * x;
  const y = T <= 2222
    ? -1.1063814 * x3 - 1.3481102 * x2 + 2.18555832 * x - 0.20219683
    : T <= 4000
      ? -0.9549476 * x3 - 1.37418593 * x2 + 2.09137015 * x - 0.16748867
      : 3.081758 * x3 - 5.8733867 * x2 + 3.75112997 * x - 0.37001483;
  const X = x / y, Y = 1, Z = (1 - x - y) / y;
  const r = 3.2406 * X - 1.5372 * Y - 0.4986 * Z;
  const g = -0.9689 * X + 1.8758 * Y + 0.0415 * Z;
  const b = 0.0557 * X - 0.204 * Y + 1.057 * Z;
  return [Math.max(0, r), Math.max(0, g), Math.max(0, b)];
}

/** Checks a rig's arrays and numbers; throws a RangeError naming the light. */
export function checkLightRig(rig: LightRig, where = 'lights'): void {
  const finite3 = (v: readonly number[], what: string): void => {
    if (v.length !== 3 || !v.every(Number.isFinite)) throw new RangeError(`${where}: ${what} must be 3 finite numbers, found [${v.join(', ')}]`);
  };
  finite3(rig.ambient, 'ambient');
  if (rig.sh !== undefined) {
    if (rig.sh.length !== 27) throw new RangeError(`${where}: sh must have 27 coefficients (9 × RGB), found ${rig.sh.length}`);
    for (let i = 0; i < 27; i++) if (!Number.isFinite(rig.sh[i]!)) throw new RangeError(`${where}: sh[${i}] is ${rig.sh[i]}`);
  }
  rig.directional.forEach((l, k) => {
    finite3(l.direction, `directional light ${k} direction`);
    finite3(l.color, `directional light ${k} color`);
    if (!(Math.hypot(...l.direction) > 0)) throw new RangeError(`${where}: directional light ${k} has a zero direction`);
  });
  rig.point.forEach((l, k) => {
    finite3(l.position, `point light ${k} position`);
    finite3(l.color, `point light ${k} color`);
  });
}
