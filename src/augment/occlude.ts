/**
 * Occlusion: random objects drawn over the face — ellipses, polygons, bars, microphones, hands,
 * glasses (opaque frames, tinted see-through lenses), textured patches and soft shadows or light
 * spots — some semi-transparent, with the `occlusion` label saying how much of each pixel they hide.
 *
 * Objects are placed with their centres in the face box (the bounding box of the mask; of the
 * visible vertices' mu when the mask is empty) and sized as a fraction [minSize, maxSize] of its
 * longer side. Each object is opaque, or with probability `translucent` has an opacity uniform in
 * [minOpacity, maxOpacity]; glasses lenses and shadows are always translucent. Objects are
 * composited in order with the "over" operator into one layer (premultiplied colour P, opacity A),
 * and then over the image:
 *
 *   image' = P + (1 − A)·image,    occlusion' = 1 − (1 − occlusion)·(1 − A).
 *
 * So where A = 0 the image is untouched, and A is exactly what a pixel lost of the face behind it.
 * If the layer hides more than `maxCoverage` of the mask (the mean of A over mask pixels), it is
 * drawn again with objects 0.7 times smaller, up to four times; then the sample is left as it is.
 * `visible` is unchanged: it records self-occlusion of the head, the occlusion map records these
 * objects.
 */
import type { Sample } from '../io/index.js';
import type { Rng } from '../util/rng.js';
import { assertUnreachable } from '../util/errors.js';
import { createOp, checkChoices, checkOrdered, checkRange, resolveOptions, type AugmentOp } from './op.js';
import { coverage, pixelBox, type Primitive } from './shapes.js';
import { proceduralTexture, randomColor, TEXTURE_KINDS } from './textures.js';

export const OCCLUDER_KINDS = ['ellipse', 'polygon', 'bar', 'mic', 'hand', 'glasses', 'patch', 'shadow'] as const;
export type OccluderKind = (typeof OCCLUDER_KINDS)[number];

export interface OccludeOptions {
  /** Largest mean opacity over the mask pixels, in [0, 1]. */
  maxCoverage?: number;
  /** Largest number of objects (at least one is drawn). */
  maxShapes?: number;
  /** Smallest object size, as a fraction of the face box's longer side. */
  minSize?: number;
  /** Largest object size. */
  maxSize?: number;
  /** Probability that an object is semi-transparent. */
  translucent?: number;
  /** Opacity range of semi-transparent objects. */
  minOpacity?: number;
  maxOpacity?: number;
  /** Probability that an ellipse, polygon or bar is filled with a procedural texture rather than a colour. */
  textured?: number;
  /** Object kinds to choose from (uniformly). */
  shapes?: string[];
}

export const OCCLUDE_DEFAULTS: Required<OccludeOptions> = {
  maxCoverage: 0.4, maxShapes: 3, minSize: 0.15, maxSize: 0.5, translucent: 0.3, minOpacity: 0.2, maxOpacity: 0.8, textured: 0.3, shapes: [...OCCLUDER_KINDS],
};

/** One object: a union of primitives with one opacity and one fill. */
interface Occluder {
  primitives: Primitive[];
  opacity: number;
  /** Edge ramp width, pixels. */
  softness: number;
  /** Solid fill colour [3], or null for a procedural texture. */
  color: Float64Array | null;
}

// Layer scratch, all zero between calls (each call clears the box it drew into).
let _P = new Float32Array(0); // scratch: layer colour, premultiplied, [H*W*3]
let _A = new Float32Array(0); // scratch: layer opacity [H*W]
let _cov = new Float32Array(0); // scratch: coverage of one object's box
let _tex = new Float32Array(0); // scratch: texture of one object's box

/**
 * Bounding box [x0, y0, x1, y1] of the face — the mask's, else the visible vertices' mu (inside the
 * image), else the whole image — and the number of mask pixels.
 */
export function faceBox(sample: Sample): { box: [number, number, number, number]; maskPixels: number } {
  const W = sample.width, H = sample.height, mask = sample.mask;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, count = 0;
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      if (mask[row + x] === 0) continue;
      count++;
      if (x < x0) x0 = x;
      if (x + 1 > x1) x1 = x + 1;
      if (y < y0) y0 = y;
      y1 = y + 1;
    }
  }
  if (count > 0) return { box: [x0, y0, x1, y1], maskPixels: count };
  const mu = sample.mu;
  for (let i = 0; i < sample.visible.length; i++) {
    if (!sample.visible[i]) continue;
    const x = mu[2 * i]!, y = mu[2 * i + 1]!;
    if (!(x >= 0 && x <= W && y >= 0 && y <= H)) continue;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  if (x1 > x0 && y1 > y0) return { box: [x0, y0, x1, y1], maskPixels: 0 };
  return { box: [0, 0, W, H], maskPixels: 0 };
}

function skinColor(rng: Rng): Float64Array {
  const v = rng.uniform(0.25, 0.95);
  return new Float64Array([v, v * rng.uniform(0.68, 0.85), v * rng.uniform(0.5, 0.72)]);
}

/** The objects of one kind, centred at (cx, cy) with size d pixels. */
function makeOccluders(kind: OccluderKind, cx: number, cy: number, d: number, o: Required<OccludeOptions>, rng: Rng): Occluder[] {
  const angle = rng.uniform(0, 2 * Math.PI);
  const opacity = (): number => (rng.chance(o.translucent) ? rng.uniform(o.minOpacity, o.maxOpacity) : 1);
  const fill = (): Float64Array | null => (rng.chance(o.textured) ? null : randomColor(rng));
  switch (kind) {
    case 'ellipse': {
      const rx = d / 2, ry = rx * rng.uniform(0.35, 1);
      return [{ primitives: [{ kind: 'ellipse', cx, cy, rx, ry, angle }], opacity: opacity(), softness: 1, color: fill() }];
    }
    case 'polygon': {
      const k = 3 + rng.int(6), angles: number[] = [];
      for (let i = 0; i < k; i++) angles.push(rng.uniform(0, 2 * Math.PI));
      angles.sort((a, b) => a - b);
      const points: number[] = [];
      for (const a of angles) {
        const r = (d / 2) * rng.uniform(0.4, 1);
        points.push(cx + r * Math.cos(a), cy + r * Math.sin(a));
      }
      return [{ primitives: [{ kind: 'polygon', points }], opacity: opacity(), softness: 1, color: fill() }];
    }
    case 'bar': {
      const half = (d * rng.uniform(1, 2.5)) / 2, r = d * rng.uniform(0.04, 0.15);
      const ux = Math.cos(angle) * half, uy = Math.sin(angle) * half;
      return [{ primitives: [{ kind: 'capsule', x0: cx - ux, y0: cy - uy, x1: cx + ux, y1: cy + uy, r }], opacity: opacity(), softness: 1, color: fill() }];
    }
    case 'mic': {
      const head = d * rng.uniform(0.15, 0.22), len = d * rng.uniform(1, 2), a = Math.PI / 2 + rng.uniform(-0.8, 0.8); // handle points down-ish
      const primitives: Primitive[] = [
        { kind: 'ellipse', cx, cy, rx: head, ry: head, angle: 0 },
        { kind: 'capsule', x0: cx, y0: cy, x1: cx + len * Math.cos(a), y1: cy + len * Math.sin(a), r: head * rng.uniform(0.35, 0.55) },
      ];
      const dark = rng.uniform(0.02, 0.3);
      return [{ primitives, opacity: opacity(), softness: 1, color: new Float64Array([dark, dark, dark]) }];
    }
    case 'hand': {
      const rx = d * 0.28, ry = d * 0.34, c = Math.cos(angle), s = Math.sin(angle);
      // palm frame: fingers point along −y' (the palm's "up"), rotated by angle
      const at = (u: number, v: number): [number, number] => [cx + c * u - s * v, cy + s * u + c * v];
      const primitives: Primitive[] = [{ kind: 'ellipse', cx, cy, rx, ry, angle }];
      const fr = d * rng.uniform(0.05, 0.07);
      for (let f = 0; f < 4; f++) {
        const u = rx * (-0.75 + 0.5 * f), spread = (f - 1.5) * rng.uniform(0.05, 0.2), len = d * rng.uniform(0.3, 0.5);
        const [x0, y0] = at(u, -ry * 0.6);
        const [x1, y1] = at(u + len * Math.sin(spread), -ry * 0.6 - len * Math.cos(spread));
        primitives.push({ kind: 'capsule', x0, y0, x1, y1, r: fr });
      }
      const side = rng.chance(0.5) ? 1 : -1;
      const [tx0, ty0] = at(side * rx * 0.6, 0), [tx1, ty1] = at(side * rx * 1.5, -ry * 0.5);
      primitives.push({ kind: 'capsule', x0: tx0, y0: ty0, x1: tx1, y1: ty1, r: fr * 1.15 });
      return [{ primitives, opacity: opacity(), softness: 1, color: skinColor(rng) }];
    }
    case 'glasses': {
      const w = d * rng.uniform(1.3, 1.9), tilt = rng.uniform(-0.2, 0.2), c = Math.cos(tilt), s = Math.sin(tilt);
      const rx = w * 0.2, ry = rx * rng.uniform(0.6, 0.9), sep = w * 0.26, t = Math.max(1, w * rng.uniform(0.012, 0.03));
      const lx = cx - c * sep, ly = cy - s * sep, qx = cx + c * sep, qy = cy + s * sep;
      const frame: Primitive[] = [
        { kind: 'ring', cx: lx, cy: ly, rx, ry, angle: tilt, thickness: t },
        { kind: 'ring', cx: qx, cy: qy, rx, ry, angle: tilt, thickness: t },
        { kind: 'capsule', x0: lx + c * rx, y0: ly + s * rx, x1: qx - c * rx, y1: qy - s * rx, r: t / 2 },
        { kind: 'capsule', x0: lx - c * rx, y0: ly - s * rx, x1: lx - c * (rx + w * 0.15), y1: ly - s * (rx + w * 0.15), r: t / 2 },
        { kind: 'capsule', x0: qx + c * rx, y0: qy + s * rx, x1: qx + c * (rx + w * 0.15), y1: qy + s * (rx + w * 0.15), r: t / 2 },
      ];
      const lenses: Primitive[] = [
        { kind: 'ellipse', cx: lx, cy: ly, rx: rx - t / 2, ry: ry - t / 2, angle: tilt },
        { kind: 'ellipse', cx: qx, cy: qy, rx: rx - t / 2, ry: ry - t / 2, angle: tilt },
      ];
      const lensOpacity = rng.uniform(0.08, Math.max(0.1, o.maxOpacity * 0.7));
      return [
        { primitives: lenses, opacity: lensOpacity, softness: 1, color: randomColor(rng) },
        { primitives: frame, opacity: opacity(), softness: 1, color: randomColor(rng) },
      ];
    }
    case 'patch': {
      const hw = d / 2, hh = hw * rng.uniform(0.4, 1), c = Math.cos(angle), s = Math.sin(angle);
      const points = [[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]].flatMap(([u, v]) => [cx + c * u! - s * v!, cy + s * u! + c * v!]);
      return [{ primitives: [{ kind: 'polygon', points }], opacity: opacity(), softness: 1, color: null }];
    }
    case 'shadow': {
      const rx = d * rng.uniform(0.5, 1), ry = rx * rng.uniform(0.3, 1);
      const v = rng.chance(0.7) ? rng.uniform(0, 0.08) : rng.uniform(0.9, 1); // shadow or light spot
      return [{
        primitives: [{ kind: 'ellipse', cx, cy, rx, ry, angle }],
        opacity: rng.uniform(o.minOpacity, Math.max(o.minOpacity, o.maxOpacity * 0.75)),
        softness: Math.max(1, rx * rng.uniform(0.1, 0.5)),
        color: new Float64Array([v, v * rng.uniform(0.95, 1), v * rng.uniform(0.9, 1)]),
      }];
    }
    default:
      return assertUnreachable(kind, 'occluder kind');
  }
}

/** Composites one object over the layer (P, A); grows `touched` [x0, y0, x1, y1) by the pixels it drew into. */
function drawOccluder(P: Float32Array, A: Float32Array, width: number, height: number, occ: Occluder, rng: Rng, touched: number[]): void {
  const box = pixelBox(occ.primitives, occ.softness, width, height);
  const [x0, y0, x1, y1] = box;
  if (x1 <= x0 || y1 <= y0) return;
  touched[0] = Math.min(touched[0]!, x0); touched[1] = Math.min(touched[1]!, y0);
  touched[2] = Math.max(touched[2]!, x1); touched[3] = Math.max(touched[3]!, y1);
  const bw = x1 - x0, bh = y1 - y0;
  if (_cov.length < bw * bh) _cov = new Float32Array(bw * bh);
  const cov = coverage(_cov, box, occ.primitives, occ.softness);
  let tex: Float32Array | null = null;
  if (occ.color === null) {
    if (_tex.length < 3 * bw * bh) _tex = new Float32Array(3 * bw * bh);
    tex = proceduralTexture(_tex, bw, bh, rng, TEXTURE_KINDS[1 + rng.int(TEXTURE_KINDS.length - 1)]!); // not 'plain'
  }
  const col = occ.color;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const b = (y - y0) * bw + (x - x0);
      const a = occ.opacity * cov[b]!;
      if (a <= 0) continue;
      const p = y * width + x, keep = 1 - a;
      for (let c = 0; c < 3; c++) P[3 * p + c] = keep * P[3 * p + c]! + a * (tex ? tex[3 * b + c]! : col![c]!);
      A[p] = A[p]! + a * (1 - A[p]!);
    }
  }
}

export function occlude(options: OccludeOptions = {}): AugmentOp {
  const o = resolveOptions('occlude', OCCLUDE_DEFAULTS, options);
  checkRange('occlude', 'maxCoverage', o.maxCoverage, 0, 1);
  checkRange('occlude', 'maxShapes', o.maxShapes, 1, 50, true);
  checkRange('occlude', 'minSize', o.minSize, 0.001, 10);
  checkRange('occlude', 'maxSize', o.maxSize, 0.001, 10);
  checkOrdered('occlude', 'minSize', o.minSize, 'maxSize', o.maxSize);
  checkRange('occlude', 'translucent', o.translucent, 0, 1);
  checkRange('occlude', 'minOpacity', o.minOpacity, 0.01, 1);
  checkRange('occlude', 'maxOpacity', o.maxOpacity, 0.01, 1);
  checkOrdered('occlude', 'minOpacity', o.minOpacity, 'maxOpacity', o.maxOpacity);
  checkRange('occlude', 'textured', o.textured, 0, 1);
  checkChoices('occlude', 'shapes', o.shapes, OCCLUDER_KINDS);
  const kinds = o.shapes as OccluderKind[];
  return createOp('occlude', (sample, rng) => {
    const W = sample.width, H = sample.height, n = W * H;
    if (_P.length < 3 * n) _P = new Float32Array(3 * n);
    if (_A.length < n) _A = new Float32Array(n);
    const P = _P, A = _A, mask = sample.mask;
    const { box: [bx0, by0, bx1, by1], maskPixels } = faceBox(sample);
    const side = Math.max(bx1 - bx0, by1 - by0);
    const touched = [W, H, 0, 0];
    const clear = (): void => {
      for (let y = touched[1]!; y < touched[3]!; y++) {
        A.fill(0, y * W + touched[0]!, y * W + touched[2]!);
        P.fill(0, 3 * (y * W + touched[0]!), 3 * (y * W + touched[2]!));
      }
      touched[0] = W; touched[1] = H; touched[2] = 0; touched[3] = 0;
    };
    let accepted = false;
    for (let attempt = 0, shrink = 1; attempt < 4 && !accepted; attempt++, shrink *= 0.7) {
      clear();
      const count = 1 + rng.int(o.maxShapes);
      for (let k = 0; k < count; k++) {
        const kind = kinds[rng.int(kinds.length)]!;
        const cx = rng.uniform(bx0, bx1), cy = rng.uniform(by0, by1), d = side * rng.uniform(o.minSize, o.maxSize) * shrink;
        for (const occ of makeOccluders(kind, cx, cy, d, o, rng)) drawOccluder(P, A, W, H, occ, rng, touched);
      }
      let hidden = 0;
      const tx0 = touched[0]!, ty0 = touched[1]!, tx1 = touched[2]!, ty1 = touched[3]!;
      for (let y = ty0; y < ty1; y++) for (let p = y * W + tx0, end = y * W + tx1; p < end; p++) if (mask[p] !== 0) hidden += A[p]!;
      accepted = maskPixels === 0 || hidden / maskPixels <= o.maxCoverage;
    }
    if (!accepted) {
      clear();
      return sample;
    }
    const image = sample.image.slice(), src = sample.image;
    const occlusion = sample.occlusion ? sample.occlusion.slice() : new Float32Array(n);
    const tx0 = touched[0]!, ty0 = touched[1]!, tx1 = touched[2]!, ty1 = touched[3]!;
    for (let y = ty0; y < ty1; y++) {
      for (let p = y * W + tx0, end = y * W + tx1; p < end; p++) {
        const a = A[p]!;
        if (a <= 0) continue;
        const keep = 1 - a;
        image[3 * p] = P[3 * p]! + keep * src[3 * p]!;
        image[3 * p + 1] = P[3 * p + 1]! + keep * src[3 * p + 1]!;
        image[3 * p + 2] = P[3 * p + 2]! + keep * src[3 * p + 2]!;
        occlusion[p] = 1 - (1 - occlusion[p]!) * keep;
      }
    }
    clear();
    return { ...sample, image, occlusion };
  });
}
