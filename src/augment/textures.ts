/**
 * Built-in procedural textures (no files needed), for background replacement and textured
 * occluders: plain colour, coloured noise, stripes, checkerboards, linear and radial gradients and
 * Perlin-like blobs (fractal value noise). Every parameter comes from the rng; values are
 * sRGB-encoded in [0, 1].
 */
import type { Rng } from '../util/rng.js';
import { assertUnreachable } from '../util/errors.js';

export const TEXTURE_KINDS = ['plain', 'noise', 'stripes', 'checker', 'gradient', 'blobs'] as const;
export type TextureKind = (typeof TEXTURE_KINDS)[number];

/** A random colour: hue uniform, saturation and value spread so greys, darks and brights all occur. out: [3]. */
export function randomColor(rng: Rng, out: Float64Array = new Float64Array(3)): Float64Array {
  const h = rng.next() * 6, sat = rng.next() ** 0.7, val = 0.08 + 0.92 * rng.next() ** 0.6;
  const i = Math.floor(h), f = h - i;
  const p = val * (1 - sat), q = val * (1 - sat * f), t = val * (1 - sat * (1 - f));
  const rgb = [[val, t, p], [q, val, p], [p, val, t], [p, q, val], [t, p, val], [val, p, q]][i % 6]!;
  out[0] = rgb[0]!; out[1] = rgb[1]!; out[2] = rgb[2]!;
  return out;
}

const _c1 = new Float64Array(3), _c2 = new Float64Array(3), _c3 = new Float64Array(3); // scratch colours
let _field = new Float32Array(0); // scratch scalar field for blobs
let _colIndex = new Int32Array(0), _colT = new Float32Array(0); // scratch: per-column lattice cell and weight
let _sinX = new Float64Array(0), _cosX = new Float64Array(0); // scratch: per-column stripe phase

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/**
 * Fractal value noise in [0, 1]: `octaves` lattices of uniform values, each twice as fine and half
 * as strong as the last, interpolated with smoothstep. out: Float32Array [h*w].
 */
export function valueNoise(out: Float32Array, width: number, height: number, rng: Rng, cell: number, octaves: number): Float32Array {
  const n = width * height;
  out.fill(0, 0, n);
  if (_colIndex.length < width) { _colIndex = new Int32Array(width); _colT = new Float32Array(width); }
  const colIndex = _colIndex, colT = _colT;
  let amp = 1, total = 0, size = Math.max(1, cell); // at least one octave, cells of at least one pixel
  for (let o = 0; o < Math.max(1, octaves) && (o === 0 || size >= 1); o++) {
    const gw = Math.ceil(width / size) + 3, gh = Math.ceil(height / size) + 3; // cells reached: ⌊x/size + offset⌋ + 1
    const grid = new Float32Array(gw * gh);
    for (let i = 0; i < grid.length; i++) grid[i] = rng.nextUint32() * 2.3283064365386963e-10;
    const ox = rng.next(), oy = rng.next(), inv = 1 / size;
    for (let x = 0; x < width; x++) {
      const gx = (x + 0.5) * inv + ox, ix = Math.floor(gx);
      colIndex[x] = ix;
      colT[x] = smooth(gx - ix);
    }
    for (let y = 0; y < height; y++) {
      const gy = (y + 0.5) * inv + oy, iy = Math.floor(gy), ty = smooth(gy - iy);
      const r0 = iy * gw, r1 = r0 + gw, row = y * width;
      for (let x = 0; x < width; x++) {
        const ix = colIndex[x]!, tx = colT[x]!;
        const a0 = grid[r0 + ix]!, b0 = grid[r1 + ix]!;
        const top = a0 + tx * (grid[r0 + ix + 1]! - a0);
        const bottom = b0 + tx * (grid[r1 + ix + 1]! - b0);
        out[row + x] = out[row + x]! + amp * (top + ty * (bottom - top));
      }
    }
    total += amp;
    amp *= 0.5;
    size *= 0.5;
  }
  const s = 1 / total;
  for (let i = 0; i < n; i++) out[i] = out[i]! * s;
  return out;
}

function clamp01(v: number): number {
  return v > 0 ? (v < 1 ? v : 1) : 0;
}

/** Fills out: Float32Array [h*w*3] with a random texture of the given kind. */
export function proceduralTexture(out: Float32Array, width: number, height: number, rng: Rng, kind: TextureKind): Float32Array {
  const n = width * height, side = Math.max(width, height);
  const a = randomColor(rng, _c1), b = randomColor(rng, _c2);
  switch (kind) {
    case 'plain': {
      for (let p = 0; p < n; p++) { out[3 * p] = a[0]!; out[3 * p + 1] = a[1]!; out[3 * p + 2] = a[2]!; }
      break;
    }
    case 'noise': {
      // one 32-bit draw per pixel: grey noise from all of it, coloured noise from three 10-bit parts
      const amp = rng.uniform(0.05, 0.35), colored = rng.chance(0.5), g32 = (2 * amp) / 4294967296, g10 = (2 * amp) / 1024;
      const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!;
      for (let p = 0; p < n; p++) {
        const u = rng.nextUint32();
        if (colored) {
          out[3 * p] = clamp01(a0 - amp + g10 * (u & 1023));
          out[3 * p + 1] = clamp01(a1 - amp + g10 * ((u >>> 10) & 1023));
          out[3 * p + 2] = clamp01(a2 - amp + g10 * ((u >>> 20) & 1023));
        } else {
          const d = g32 * u - amp;
          out[3 * p] = clamp01(a0 + d);
          out[3 * p + 1] = clamp01(a1 + d);
          out[3 * p + 2] = clamp01(a2 + d);
        }
      }
      break;
    }
    case 'stripes': {
      const angle = rng.uniform(0, Math.PI), period = Math.exp(rng.uniform(Math.log(3), Math.log(Math.max(4, side / 3))));
      const sharp = Math.exp(rng.uniform(0, Math.log(30))), phase = rng.uniform(0, 2 * Math.PI);
      const dx = (Math.cos(angle) * 2 * Math.PI) / period, dy = (Math.sin(angle) * 2 * Math.PI) / period;
      // sin(dx·x + dy·y + φ) = sin(dx·x)·cos(dy·y + φ) + cos(dx·x)·sin(dy·y + φ): one table per axis
      if (_sinX.length < width) { _sinX = new Float64Array(width); _cosX = new Float64Array(width); }
      for (let x = 0; x < width; x++) { _sinX[x] = Math.sin(dx * x); _cosX[x] = Math.cos(dx * x); }
      const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, d0 = b[0]! - a0, d1 = b[1]! - a1, d2 = b[2]! - a2;
      for (let y = 0; y < height; y++) {
        const cy = Math.cos(dy * y + phase), sy = Math.sin(dy * y + phase);
        for (let x = 0; x < width; x++) {
          const t = clamp01(0.5 + 0.5 * sharp * (_sinX[x]! * cy + _cosX[x]! * sy)), p = 3 * (y * width + x);
          out[p] = a0 + t * d0;
          out[p + 1] = a1 + t * d1;
          out[p + 2] = a2 + t * d2;
        }
      }
      break;
    }
    case 'checker': {
      const angle = rng.uniform(0, Math.PI / 2), size = Math.exp(rng.uniform(Math.log(3), Math.log(Math.max(4, side / 4))));
      const cs = Math.cos(angle) / size, sn = Math.sin(angle) / size, ox = rng.next(), oy = rng.next();
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const u = cs * x + sn * y + ox, v = -sn * x + cs * y + oy;
          const col = (Math.floor(u) + Math.floor(v)) & 1 ? b : a, p = 3 * (y * width + x);
          out[p] = col[0]!; out[p + 1] = col[1]!; out[p + 2] = col[2]!;
        }
      }
      break;
    }
    case 'gradient': {
      const radial = rng.chance(0.4);
      const angle = rng.uniform(0, 2 * Math.PI), ux = Math.cos(angle), uy = Math.sin(angle);
      const cx = rng.uniform(0, width), cy = rng.uniform(0, height), inv = 1 / (side * rng.uniform(0.3, 1.2));
      const a0 = a[0]!, a1 = a[1]!, a2 = a[2]!, d0 = b[0]! - a0, d1 = b[1]! - a1, d2 = b[2]! - a2;
      for (let y = 0; y < height; y++) {
        const ry = y + 0.5 - cy, ly = (y + 0.5 - height / 2) * uy;
        for (let x = 0; x < width; x++) {
          const rx = x + 0.5 - cx;
          const t = radial ? clamp01(Math.sqrt(rx * rx + ry * ry) * inv) : clamp01(0.5 + ((x + 0.5 - width / 2) * ux + ly) * inv);
          const p = 3 * (y * width + x);
          out[p] = a0 + t * d0;
          out[p + 1] = a1 + t * d1;
          out[p + 2] = a2 + t * d2;
        }
      }
      break;
    }
    case 'blobs': {
      const m = randomColor(rng, _c3);
      if (_field.length < n) _field = new Float32Array(n);
      const field = valueNoise(_field, width, height, rng, side * rng.uniform(0.08, 0.5), 2 + rng.int(4));
      const contrast = Math.exp(rng.uniform(0, Math.log(8)));
      for (let p = 0; p < n; p++) {
        const t = clamp01(0.5 + contrast * (field[p]! - 0.5));
        for (let c = 0; c < 3; c++) {
          // three-colour ramp a → m → b
          out[3 * p + c] = t < 0.5 ? a[c]! + 2 * t * (m[c]! - a[c]!) : m[c]! + (2 * t - 1) * (b[c]! - m[c]!);
        }
      }
      break;
    }
    default:
      assertUnreachable(kind, 'texture kind');
  }
  return out;
}
