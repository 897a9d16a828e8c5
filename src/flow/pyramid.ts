/**
 * Image pyramids and flow resampling between their levels, in the DESIGN.md pixel convention
 * (pixel (i, j) centred at (i + ½, j + ½)).
 *
 * Level k+1 has exactly half the pixel density of level k: a point at x on level k+1 is at 2x on
 * level k, for any size. A coarse image is ⌈W/2⌉×⌈H/2⌉ pixels; when W is odd its last column
 * reaches half a pixel past the fine image, which the border replication fills.
 */

/**
 * Halves an image: coarse pixel (i, j) is centred at fine position (2i + 1, 2j + 1), between fine
 * pixels 2i and 2i+1, and is the separable binomial [1 3 3 1]/8 over fine pixels 2i−1 … 2i+2
 * (symmetric about that centre; it low-passes before decimation). Borders replicate.
 * src: Float32Array [H*W]; returns Float32Array [⌈H/2⌉*⌈W/2⌉].
 */
export function downsample2(src: Float32Array, width: number, height: number): { data: Float32Array; width: number; height: number } {
  const W = width, H = height, w2 = (W + 1) >> 1, h2 = (H + 1) >> 1;
  const lastX = W - 1, lastY = H - 1;
  // 1. rows: tmp [H*w2]
  const tmp = new Float32Array(H * w2);
  for (let y = 0; y < H; y++) {
    const row = y * W, o = y * w2;
    for (let i = 0; i < w2; i++) {
      const x0 = 2 * i - 1, x3 = 2 * i + 2;
      const a = src[row + (x0 < 0 ? 0 : x0)]!;
      const b = src[row + (2 * i > lastX ? lastX : 2 * i)]!;
      const c = src[row + (2 * i + 1 > lastX ? lastX : 2 * i + 1)]!;
      const d = src[row + (x3 > lastX ? lastX : x3)]!;
      tmp[o + i] = (a + 3 * b + 3 * c + d) * 0.125;
    }
  }
  // 2. columns
  const out = new Float32Array(h2 * w2);
  for (let j = 0; j < h2; j++) {
    const y0 = 2 * j - 1, y1 = 2 * j, y2 = 2 * j + 1, y3 = 2 * j + 2;
    const r0 = (y0 < 0 ? 0 : y0) * w2, r1 = (y1 > lastY ? lastY : y1) * w2;
    const r2 = (y2 > lastY ? lastY : y2) * w2, r3 = (y3 > lastY ? lastY : y3) * w2;
    const o = j * w2;
    for (let i = 0; i < w2; i++) out[o + i] = (tmp[r0 + i]! + 3 * tmp[r1 + i]! + 3 * tmp[r2 + i]! + tmp[r3 + i]!) * 0.125;
  }
  return { data: out, width: w2, height: h2 };
}

/** One level of a pyramid: a grey image and its size. */
export interface PyramidLevel {
  /** data: Float32Array [H*W] */
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * A pyramid from the full-resolution image (level 0) down: at most `maxLevels` levels, and no
 * level whose shorter side is below `minSize` pixels (level 0 is always there).
 */
export function buildPyramid(data: Float32Array, width: number, height: number, maxLevels: number, minSize: number): PyramidLevel[] {
  const levels: PyramidLevel[] = [{ data, width, height }];
  while (levels.length < maxLevels) {
    const top = levels[levels.length - 1]!;
    const w2 = (top.width + 1) >> 1, h2 = (top.height + 1) >> 1;
    if (Math.min(w2, h2) < minSize || (w2 === top.width && h2 === top.height)) break;
    levels.push(downsample2(top.data, top.width, top.height));
  }
  return levels;
}

/**
 * A flow field of the coarser level resampled onto the finer one: bilinear between coarse pixel
 * centres (fine pixel centre (x + ½) sits at coarse position (x + ½)/2), replicated at the
 * borders, and doubled (displacements are in the finer level's pixels).
 * coarse: Float32Array [hc*wc*2]; out: Float32Array [H*W*2].
 */
export function upsampleFlow(out: Float32Array, width: number, height: number, coarse: Float32Array, wc: number, hc: number): Float32Array {
  const lastX = wc - 1, lastY = hc - 1;
  for (let y = 0; y < height; y++) {
    const sy = (y + 0.5) * 0.5 - 0.5;
    let fy0 = Math.floor(sy);
    const fy = sy - fy0;
    let fy1 = fy0 + 1;
    fy0 = fy0 < 0 ? 0 : fy0 > lastY ? lastY : fy0;
    fy1 = fy1 < 0 ? 0 : fy1 > lastY ? lastY : fy1;
    const r0 = fy0 * wc, r1 = fy1 * wc;
    for (let x = 0; x < width; x++) {
      const sx = (x + 0.5) * 0.5 - 0.5;
      let fx0 = Math.floor(sx);
      const fx = sx - fx0;
      let fx1 = fx0 + 1;
      fx0 = fx0 < 0 ? 0 : fx0 > lastX ? lastX : fx0;
      fx1 = fx1 < 0 ? 0 : fx1 > lastX ? lastX : fx1;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const a = 2 * (r0 + fx0), b = 2 * (r0 + fx1), c = 2 * (r1 + fx0), d = 2 * (r1 + fx1);
      const o = 2 * (y * width + x);
      out[o] = 2 * (w00 * coarse[a]! + w01 * coarse[b]! + w10 * coarse[c]! + w11 * coarse[d]!);
      out[o + 1] = 2 * (w00 * coarse[a + 1]! + w01 * coarse[b + 1]! + w10 * coarse[c + 1]! + w11 * coarse[d + 1]!);
    }
  }
  return out;
}
