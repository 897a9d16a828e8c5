/**
 * A procedural skin texture in the model's UV layout, the same for every scan of a subject: skin
 * tone with low- and mid-frequency variation, pores, freckles and a few moles, redder cheeks and
 * lips, darker brows with hair strands, a lash line on the upper lids, hair on the scalp, eyes
 * (sclera, iris, pupil); plus two atlas rectangles the model's UVs leave free: the torso's shirt
 * and the mouth cavity. Texture detail is what optical flow between the photos locks on to.
 *
 * How: every texel covered by a model triangle in UV space gets the rest-pose (template) surface
 * point it shows (rasterised barycentrically, texel centres at ((i + ½)/S, 1 − (j + ½)/S)), and its
 * colour is a function of that 3D point, so the texture is seamless across UV charts. Chart borders
 * are dilated by two texels against bilinear bleeding.
 *
 * Linear RGB in [0, 1] (`Texture`), written as sRGB JPEG by the caller.
 * Measured: 2048² in about 1.5 s on one core (the per-texel noise is the cost).
 */
import { type Rng, UsageError } from '../util/index.js';
import { type FlameModel, landmarkPositions } from '../flame/index.js';
import { linearToSrgbFloat, type Texture } from '../render/index.js';
import { fractalNoise3, smoothstep, valueNoise3 } from './noise.js';
import { hairDepth, hairness, type HairStyle } from './hair.js';

type Rgb = [number, number, number];

/** Free UV rectangles of the built-in model's atlas (below its head chart, beside the eyeball discs). */
export const TORSO_UV = { u0: 0.34, u1: 0.66, v0: 0.006, v1: 0.144 } as const;
export const CAVITY_UV = { u0: 0.84, u1: 0.98, v0: 0.01, v1: 0.14 } as const;

/** A subject's colours and marks. */
export interface SkinLook {
  skin: Rgb;
  lips: Rgb;
  hair: Rgb;
  iris: Rgb;
  shirt: Rgb;
  /** Freckle density in [0, 1]. */
  freckles: number;
  /** Moles: rest-frame centre (metres) and radius (metres). */
  moles: Array<{ centre: [number, number, number]; radius: number }>;
  seed: number;
}

const SKIN_TONES: Rgb[] = [
  [0.75, 0.52, 0.42], [0.68, 0.45, 0.34], [0.6, 0.4, 0.3], [0.5, 0.32, 0.23], [0.36, 0.22, 0.15], [0.22, 0.13, 0.09],
];
const HAIR_COLOURS: Rgb[] = [[0.03, 0.025, 0.02], [0.08, 0.05, 0.03], [0.18, 0.1, 0.05], [0.4, 0.28, 0.15], [0.3, 0.12, 0.05], [0.35, 0.33, 0.3]];
const IRIS_COLOURS: Rgb[] = [[0.12, 0.07, 0.03], [0.2, 0.12, 0.05], [0.12, 0.2, 0.3], [0.15, 0.22, 0.12], [0.25, 0.25, 0.28]];

/** A random look. `moleCentres` are candidate surface points (rest frame) to put moles on. */
export function randomLook(rng: Rng, moleCentres: ArrayLike<number>): SkinLook {
  const tone = SKIN_TONES[rng.int(SKIN_TONES.length)]!;
  const vary = (c: Rgb, s: number): Rgb => [c[0] * rng.uniform(1 - s, 1 + s), c[1] * rng.uniform(1 - s, 1 + s), c[2] * rng.uniform(1 - s, 1 + s)];
  const skin = vary(tone, 0.06);
  const moles: SkinLook['moles'] = [];
  const nMoles = 2 + rng.int(5);
  const N = Math.floor(moleCentres.length / 3);
  for (let k = 0; k < nMoles && N > 0; k++) {
    const i = rng.int(N);
    moles.push({ centre: [moleCentres[3 * i]!, moleCentres[3 * i + 1]!, moleCentres[3 * i + 2]!], radius: rng.uniform(0.0008, 0.002) });
  }
  return {
    skin,
    lips: [skin[0] * 0.85, skin[1] * 0.5, skin[2] * 0.55],
    hair: vary(HAIR_COLOURS[rng.int(HAIR_COLOURS.length)]!, 0.1),
    iris: vary(IRIS_COLOURS[rng.int(IRIS_COLOURS.length)]!, 0.1),
    shirt: [rng.uniform(0.03, 0.6), rng.uniform(0.03, 0.6), rng.uniform(0.03, 0.6)],
    freckles: rng.chance(0.5) ? rng.uniform(0.2, 1) : rng.uniform(0, 0.15),
    moles,
    seed: rng.nextUint32() | 0,
  };
}

/** Facial anatomy of the rest head that the texture paints around (from the model's landmarks and regions). */
interface Anatomy {
  /** Brow polylines (x, y pairs), right then left, 5 points each. */
  brows: Float64Array[];
  /** Upper-lid polylines (x, y), 4 points each. */
  lids: Float64Array[];
  /** Outer lip contour (x, y), 12 points. */
  lips: Float64Array;
  /** Eyeball centres [3] and radii. */
  eyes: Array<{ c: [number, number, number]; r: number }>;
}

function anatomyOf(model: FlameModel): Anatomy {
  const full = model.landmarks.full68;
  if (!full) throw new UsageError(`skin texture: model '${model.source}' has no 68-landmark embedding`);
  const L = landmarkPositions(model.vTemplate, model.faces, full);
  const poly = (ids: number[]): Float64Array => Float64Array.from(ids.flatMap((k) => [L[3 * k]!, L[3 * k + 1]!]));
  const eyes: Anatomy['eyes'] = [];
  for (const name of ['left_eyeball', 'right_eyeball']) {
    const idx = model.regions[name];
    if (!idx || idx.length === 0) continue;
    const P = model.vTemplate;
    const c: [number, number, number] = [0, 0, 0];
    for (const i of idx) for (let k = 0; k < 3; k++) c[k] += P[3 * i + k]! / idx.length;
    let r = 0;
    for (const i of idx) r = Math.max(r, Math.hypot(P[3 * i]! - c[0], P[3 * i + 1]! - c[1], P[3 * i + 2]! - c[2]));
    eyes.push({ c, r });
  }
  return {
    brows: [poly([17, 18, 19, 20, 21]), poly([22, 23, 24, 25, 26])],
    lids: [poly([36, 37, 38, 39]), poly([42, 43, 44, 45])],
    lips: poly([48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59]),
    eyes,
  };
}

let _polyT = 0; // parameter of the last polylineDistance

/** Distance from (x, y) to a polyline of (x, y) pairs; its parameter t ∈ [0, 1] is left in `_polyT`. */
function polylineDistance(pts: Float64Array, x: number, y: number, closed: boolean): number {
  const n = pts.length / 2;
  let best = Infinity, bestT = 0;
  const segs = closed ? n : n - 1;
  for (let s = 0; s < segs; s++) {
    const ax = pts[2 * s]!, ay = pts[2 * s + 1]!, bx = pts[2 * ((s + 1) % n)]!, by = pts[2 * ((s + 1) % n) + 1]!;
    const dx = bx - ax, dy = by - ay;
    const u = Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    const ex = x - ax - u * dx, ey = y - ay - u * dy;
    const d = Math.sqrt(ex * ex + ey * ey);
    if (d < best) { best = d; bestT = (s + u) / segs; }
  }
  _polyT = bestT;
  return best;
}

/** Whether (x, y) is inside the closed polygon pts (even-odd rule). */
function insidePolygon(pts: Float64Array, x: number, y: number): boolean {
  const n = pts.length / 2;
  let inside = false;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = pts[2 * i]!, yi = pts[2 * i + 1]!, xj = pts[2 * j]!, yj = pts[2 * j + 1]!;
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** out ← out + w·(rgb − out), w clamped to [0, 1]. */
function mix(out: Float64Array, r: number, g: number, b: number, w: number): void {
  if (!(w > 0)) return;
  if (w > 1) w = 1;
  out[0] = out[0]! + w * (r - out[0]!);
  out[1] = out[1]! + w * (g - out[1]!);
  out[2] = out[2]! + w * (b - out[2]!);
}

const _c = new Float64Array(3);

/** Linear colour of skin/hair at rest point (x, y, z) into out[o..o+2]. */
function skinColour(out: Float32Array, o: number, look: SkinLook, hair: HairStyle, an: Anatomy, x: number, y: number, z: number): void {
  const s = look.seed;
  const c = _c;
  const h = hairness(hairDepth(hair, x, y, z));
  if (h >= 1) {
    hairColour(c, look, x, y, z);
    out[o] = c[0]!; out[o + 1] = c[1]!; out[o + 2] = c[2]!;
    return;
  }
  c[0] = look.skin[0]; c[1] = look.skin[1]; c[2] = look.skin[2];
  // tone: low frequency (2.5 cm) ±7 %, blotches (4 mm) ±4 %, pores (0.6 mm, sparse dark dots)
  const low = 1 + 0.07 * fractalNoise3(s, x, y, z, 0.025, 2);
  const mid = 1 + 0.11 * fractalNoise3(s + 1, x, y, z, 0.005, 3, 0.6);
  const pore = 1 - 0.16 * smoothstep(0.25, 0.7, valueNoise3(s + 2, x / 0.0006, y / 0.0006, z / 0.0006));
  const fine = 1 + 0.05 * valueNoise3(s + 3, x / 0.00025, y / 0.00025, z / 0.00025);
  const k = low * mid * pore * fine;
  c[0]! *= k; c[1]! *= k; c[2]! *= k;
  const front = smoothstep(0.03, 0.07, z);
  // redder cheeks and nose tip
  const cheek = front * (Math.exp(-((Math.abs(x) - 0.045) ** 2 + (y + 0.012) ** 2) / (2 * 0.014 ** 2)) + 0.6 * Math.exp(-(x * x + (y + 0.01) ** 2) / (2 * 0.008 ** 2)));
  c[0]! *= 1 + 0.12 * cheek; c[1]! *= 1 - 0.06 * cheek; c[2]! *= 1 - 0.04 * cheek;
  // freckles on the nose and cheeks: high thresholded noise under a density field
  if (look.freckles > 0 && front > 0) {
    const where = front * Math.exp(-(x * x) / (2 * 0.05 ** 2)) * Math.exp(-((y + 0.005) ** 2) / (2 * 0.025 ** 2));
    const f = valueNoise3(s + 4, x / 0.0011, y / 0.0011, z / 0.0011);
    const spot = smoothstep(0.86 - 0.25 * look.freckles * where, 0.98 - 0.25 * look.freckles * where, f) * where;
    if (spot > 0) { c[0]! *= 1 - 0.35 * spot; c[1]! *= 1 - 0.45 * spot; c[2]! *= 1 - 0.5 * spot; }
  }
  for (const m of look.moles) {
    const mx = x - m.centre[0], my = y - m.centre[1], mz = z - m.centre[2];
    const d2 = mx * mx + my * my + mz * mz;
    if (d2 >= 2.25 * m.radius * m.radius) continue;
    const d = Math.sqrt(d2);
    if (d < 1.5 * m.radius) mix(c, look.skin[0] * 0.25, look.skin[1] * 0.18, look.skin[2] * 0.15, 1 - smoothstep(0.7 * m.radius, 1.2 * m.radius, d));
  }
  if (z > 0.03) {
    // lips: inside the outer lip contour, soft 1 mm edge, fine vertical lines
    if (y < -0.025 && y > -0.07 && Math.abs(x) < 0.035) {
      const d = polylineDistance(an.lips, x, y, true);
      const inside = insidePolygon(an.lips, x, y);
      const w = inside ? smoothstep(-0.0003, 0.0009, d) : 1 - smoothstep(0, 0.0006, d);
      if (w > 0) {
        const lines = 1 + 0.08 * valueNoise3(s + 5, x / 0.0005, y / 0.004, z / 0.0005);
        mix(c, look.lips[0] * lines, look.lips[1] * lines, look.lips[2] * lines, 0.85 * w);
      }
    }
    // brows: a band along each brow line, thickest at the inner end, with hair strands
    if (y > 0.03 && y < 0.065) {
      for (const b of an.brows) {
        const d = polylineDistance(b, x, y, false), t = _polyT;
        const inner = b === an.brows[0] ? t : 1 - t; // right brow runs outer→inner, left inner→outer
        const half = 0.0022 + 0.0018 * inner;
        if (d > half + 0.001) continue;
        const strands = 0.75 + 0.25 * valueNoise3(s + 6, x / 0.0022, y / 0.0003, z / 0.0022);
        mix(c, look.hair[0] * strands, look.hair[1] * strands, look.hair[2] * strands, 0.95 * (1 - smoothstep(half - 0.001, half + 0.001, d)));
      }
    }
    // lash line along the upper lids
    if (y > 0.015 && y < 0.045) {
      for (const l of an.lids) {
        const d = polylineDistance(l, x, y, false);
        if (d < 0.0012) mix(c, 0.02, 0.015, 0.012, 0.8 * (1 - smoothstep(0.0004, 0.0012, d)));
      }
    }
  }
  // hair on the scalp
  if (h > 0) {
    const skin0 = c[0]!, skin1 = c[1]!, skin2 = c[2]!;
    hairColour(c, look, x, y, z);
    c[0] = skin0 + h * (c[0]! - skin0); c[1] = skin1 + h * (c[1]! - skin1); c[2] = skin2 + h * (c[2]! - skin2);
  }
  out[o] = Math.min(1, Math.max(0, c[0]!));
  out[o + 1] = Math.min(1, Math.max(0, c[1]!));
  out[o + 2] = Math.min(1, Math.max(0, c[2]!));
}

/** Hair colour with strands (fine along the head, coarser clumps). */
function hairColour(c: Float64Array, look: SkinLook, x: number, y: number, z: number): void {
  const s = look.seed;
  const strands = 0.7 + 0.3 * valueNoise3(s + 7, x / 0.0004, y / 0.003, z / 0.0004) + 0.15 * valueNoise3(s + 8, x / 0.006, y / 0.006, z / 0.006);
  c[0] = look.hair[0] * strands; c[1] = look.hair[1] * strands; c[2] = look.hair[2] * strands;
}

/** Eyeball colour at rest point p of eye e. */
function eyeColour(out: Float32Array, o: number, look: SkinLook, e: { c: [number, number, number]; r: number }, x: number, y: number, z: number): void {
  const dx = x - e.c[0], dy = y - e.c[1], dz = z - e.c[2];
  const cos = dz / Math.max(1e-9, Math.hypot(dx, dy, dz));
  const c = _c;
  if (cos > 0.975) { c[0] = 0.01; c[1] = 0.01; c[2] = 0.01; }
  else if (cos > 0.86) {
    const ang = Math.atan2(dy, dx);
    const streak = 0.7 + 0.3 * valueNoise3(look.seed + 9, Math.cos(ang) * 40, Math.sin(ang) * 40, cos * 60);
    const rim = cos < 0.88 ? 0.5 : 1;
    c[0] = look.iris[0] * streak * rim; c[1] = look.iris[1] * streak * rim; c[2] = look.iris[2] * streak * rim;
  } else {
    const vein = 0.04 * smoothstep(0.6, 0.9, valueNoise3(look.seed + 10, x / 0.0008, y / 0.0008, z / 0.0008));
    c[0] = 0.8; c[1] = 0.76 - vein; c[2] = 0.72 - vein;
  }
  out[o] = c[0]!; out[o + 1] = c[1]!; out[o + 2] = c[2]!;
}

/**
 * Texel maps of the model's UV layout: pos Float32Array [S*S*3] (rest point per texel) and
 * part Uint8Array [S*S] (0 none, 1 skin, 2 + e eyeball e of `eyes` order).
 */
function rasterizeUvLayout(model: FlameModel, S: number): { pos: Float32Array; part: Uint8Array } {
  const uvs = model.uvs, faceUvs = model.faceUvs;
  if (!uvs || !faceUvs) throw new UsageError(`skin texture: model '${model.source}' has no UVs`);
  const pos = new Float32Array(S * S * 3), part = new Uint8Array(S * S);
  const P = model.vTemplate, F = model.faces;
  const eyePart = new Uint8Array(model.numVertices);
  ['left_eyeball', 'right_eyeball'].forEach((name, e) => { for (const i of model.regions[name] ?? []) eyePart[i] = 2 + e; });
  for (let f = 0; f < F.length / 3; f++) {
    const ua = faceUvs[3 * f]!, ub = faceUvs[3 * f + 1]!, uc = faceUvs[3 * f + 2]!;
    const ax = uvs[2 * ua]! * S, ay = (1 - uvs[2 * ua + 1]!) * S;
    const bx = uvs[2 * ub]! * S, by = (1 - uvs[2 * ub + 1]!) * S;
    const cx = uvs[2 * uc]! * S, cy = (1 - uvs[2 * uc + 1]!) * S;
    const det = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (Math.abs(det) < 1e-12) continue;
    const va = F[3 * f]!, vb = F[3 * f + 1]!, vc = F[3 * f + 2]!;
    const pt = eyePart[va] || 1;
    const i0 = Math.max(0, Math.floor(Math.min(ax, bx, cx))), i1 = Math.min(S - 1, Math.ceil(Math.max(ax, bx, cx)));
    const j0 = Math.max(0, Math.floor(Math.min(ay, by, cy))), j1 = Math.min(S - 1, Math.ceil(Math.max(ay, by, cy)));
    for (let j = j0; j <= j1; j++) {
      const py = j + 0.5;
      for (let i = i0; i <= i1; i++) {
        const px = i + 0.5;
        const wb = ((px - ax) * (cy - ay) - (py - ay) * (cx - ax)) / det;
        const wc = ((bx - ax) * (py - ay) - (by - ay) * (px - ax)) / det;
        const wa = 1 - wb - wc;
        if (wa < -1e-9 || wb < -1e-9 || wc < -1e-9) continue;
        const t = j * S + i;
        part[t] = pt;
        for (let k = 0; k < 3; k++) pos[3 * t + k] = wa * P[3 * va + k]! + wb * P[3 * vb + k]! + wc * P[3 * vc + k]!;
      }
    }
  }
  // dilate twice: empty texels next to covered ones copy a neighbour
  for (let pass = 0; pass < 2; pass++) {
    const src = part.slice();
    for (let j = 0; j < S; j++) {
      for (let i = 0; i < S; i++) {
        const t = j * S + i;
        if (src[t] !== 0) continue;
        for (const [di, dj] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
          const ii = i + di, jj = j + dj;
          if (ii < 0 || jj < 0 || ii >= S || jj >= S) continue;
          const q = jj * S + ii;
          if (src[q] === 0) continue;
          part[t] = src[q]!;
          pos[3 * t] = pos[3 * q]!; pos[3 * t + 1] = pos[3 * q + 1]!; pos[3 * t + 2] = pos[3 * q + 2]!;
          break;
        }
      }
    }
  }
  return { pos, part };
}

/** The texture of a subject: S×S linear RGB. */
export function skinTexture(model: FlameModel, look: SkinLook, hair: HairStyle, S = 2048): Texture {
  if (!(Number.isInteger(S) && S >= 64 && S <= 8192)) throw new UsageError(`skin texture: size must be an integer 64–8192, got ${S}`);
  const an = anatomyOf(model);
  const { pos, part } = rasterizeUvLayout(model, S);
  const data = new Float32Array(S * S * 3);
  const s = look.seed;
  for (let j = 0; j < S; j++) {
    const v = 1 - (j + 0.5) / S;
    for (let i = 0; i < S; i++) {
      const t = j * S + i, o = 3 * t;
      const u = (i + 0.5) / S;
      const p = part[t]!;
      if (p === 1) { skinColour(data, o, look, hair, an, pos[o]!, pos[o + 1]!, pos[o + 2]!); continue; }
      if (p >= 2) { eyeColour(data, o, look, an.eyes[p - 2]!, pos[o]!, pos[o + 1]!, pos[o + 2]!); continue; }
      if (u >= TORSO_UV.u0 && u <= TORSO_UV.u1 && v >= TORSO_UV.v0 && v <= TORSO_UV.v1) {
        // torso: around = (u − u0)/(u1 − u0) (0.5 = front), down = depth below the neck in [0, 1]
        const around = (u - TORSO_UV.u0) / (TORSO_UV.u1 - TORSO_UV.u0), down = (TORSO_UV.v1 - v) / (TORSO_UV.v1 - TORSO_UV.v0);
        const phi = (around - 0.5) * 2 * Math.PI;
        const neckline = 0.1 + 0.14 * Math.max(0, 1 - Math.abs(phi) / 0.6);
        const fabric = 1 + 0.08 * valueNoise3(s + 11, around * 600, down * 110, 0) + 0.06 * fractalNoise3(s + 12, around * 60, down * 11, 0, 1, 2);
        if (down < neckline) skinColour(data, o, look, hair, an, Math.sin(phi) * 0.06, -0.2 - 0.2 * down, Math.cos(phi) * 0.06);
        else { data[o] = look.shirt[0] * fabric; data[o + 1] = look.shirt[1] * fabric; data[o + 2] = look.shirt[2] * fabric; }
        continue;
      }
      if (u >= CAVITY_UV.u0 && u <= CAVITY_UV.u1 && v >= CAVITY_UV.v0 && v <= CAVITY_UV.v1) {
        const n = 1 + 0.3 * valueNoise3(s + 13, u * 300, v * 300, 0);
        data[o] = 0.06 * n; data[o + 1] = 0.015 * n; data[o + 2] = 0.015 * n;
        continue;
      }
      data[o] = look.skin[0]; data[o + 1] = look.skin[1]; data[o + 2] = look.skin[2];
    }
  }
  return { width: S, height: S, data };
}

/** Linear texture → 8-bit sRGB pixels (for writing), through the renderer's encoding table. */
export function textureToSrgb8(tex: Texture): Uint8Array {
  const d = tex.data, out = new Uint8Array(d.length);
  for (let i = 0; i < out.length; i++) out[i] = (linearToSrgbFloat(d[i]!) * 255 + 0.5) | 0;
  return out;
}
