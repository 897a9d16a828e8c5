/**
 * Where a synthetic subject has hair, on the rest (template) head: a hairline that runs across the
 * upper forehead, down the temples, over the ears and round the nape, made ragged by noise. The
 * skin texture paints hair there and the scan's hair cap covers it, so the two agree.
 *
 * Coordinates are the model's rest frame (metres, +Y up, face along +Z, subject's left +X).
 */
import type { Rng } from '../util/index.js';
import { fractalNoise3, smoothstep } from './noise.js';

export interface HairStyle {
  /** Height of the front hairline above the eyes' level (template y, metres). */
  frontY: number;
  /** Height of the hairline above the ears and at the nape (metres). */
  sideY: number;
  napeY: number;
  /** Amplitude (metres) of the hairline's raggedness. */
  ragged: number;
  /** Hair thickness at the crown (metres). */
  thickness: number;
  /** Noise seed. */
  seed: number;
}

/** A random hair style: hairline heights, raggedness and thickness. */
export function randomHairStyle(rng: Rng): HairStyle {
  return {
    frontY: rng.uniform(0.08, 0.095),
    sideY: rng.uniform(0.036, 0.048),
    napeY: rng.uniform(-0.085, -0.055),
    ragged: rng.uniform(0.003, 0.006),
    thickness: rng.uniform(0.004, 0.012),
    seed: rng.nextUint32() | 0,
  };
}

/** Control points (|φ|, y) of the hairline: front, temples, above the ears, behind them, nape. */
function controlPoints(s: HairStyle): Float64Array {
  return Float64Array.of(0, s.frontY, 0.65, s.frontY - 0.006, 1.15, s.sideY + 0.01, 1.45, s.sideY, 1.95, s.sideY, 2.5, s.napeY, Math.PI, s.napeY);
}
const _pts = new WeakMap<HairStyle, Float64Array>();

/** The hairline height at yaw φ (radians, 0 = front, ±π = back): cosine-eased between control points. */
function hairlineY(s: HairStyle, phi: number): number {
  let pts = _pts.get(s);
  if (!pts) { pts = controlPoints(s); _pts.set(s, pts); }
  const a = Math.abs(phi);
  for (let k = 2; k < pts.length; k += 2) {
    const a1 = pts[k]!;
    if (a <= a1) {
      const a0 = pts[k - 2]!, y0 = pts[k - 1]!, y1 = pts[k + 1]!;
      const w = 0.5 - 0.5 * Math.cos((Math.PI * (a - a0)) / (a1 - a0));
      return y0 + w * (y1 - y0);
    }
  }
  return s.napeY;
}

/** Ear ellipse test on the built-in head (side chart Z, Y around the ear centre). */
function nearEar(x: number, y: number, z: number): boolean {
  if (Math.abs(x) < 0.045) return false;
  const dz = z + 0.006, dy = y - 0.004;
  return Math.hypot(dz / 0.024, dy / 0.04) < 1;
}

/**
 * Signed depth (metres) of rest point (x, y, z) inside the hair: positive above the (ragged)
 * hairline, negative below it, −Infinity on the ears. `ragged` false gives the smooth hairline.
 */
export function hairDepth(s: HairStyle, x: number, y: number, z: number, ragged = true): number {
  if (nearEar(x, y, z)) return -Infinity;
  const phi = Math.atan2(x, z);
  const d = y - hairlineY(s, phi);
  // the noise only matters near the hairline: far from it, return a bound of the same sign
  if (!ragged || Math.abs(d) > s.ragged + 0.004) return d;
  return d + s.ragged * fractalNoise3(s.seed, x, y, z, 0.012, 3, 0.6);
}

/** Hair coverage in [0, 1] from the depth: a soft 3 mm band at the hairline. */
export function hairness(depth: number): number {
  return smoothstep(-0.0015, 0.0015, depth);
}

/**
 * Hair thickness (metres) at rest point (x, y, z): 0.4 mm at the smooth hairline and below it
 * (where the ragged hairline reaches further), growing over 12 mm to the full thickness (more on
 * the crown), a little lumpy.
 */
export function hairThickness(s: HairStyle, x: number, y: number, z: number): number {
  // the smooth (not ragged) depth, so the thickness has no steps
  const depth = Math.max(0, hairDepth(s, x, y, z, false));
  const lump = 1 + 0.25 * fractalNoise3(s.seed + 77, x, y, z, 0.03, 2);
  const crown = 0.55 + 0.45 * smoothstep(s.sideY, 0.11, y);
  return 0.0004 + s.thickness * crown * lump * smoothstep(0, 0.012, depth);
}
