/**
 * Resampling an image-shaped array through a 2D affine map of image coordinates (DESIGN.md pixel
 * convention: pixel (i, j) covers [i, i+1)×[j, j+1), centre (i + ½, j + ½)).
 *
 * An affine map is `m: [a00, a01, b0, a10, a11, b1]` (row-major 2×3): p' = A·p + b. Warping by m
 * means: the output pixel centred at q shows the input at p = m⁻¹(q). Bilinear sampling
 * interpolates between input pixel centres and replicates the border half-pixel; points outside
 * [0, W]×[0, H] get a fill value. (Nearest sampling of the label maps is in `geometric.ts`.)
 */

/** Applies m to points. points: [N*2] pixels; out: Float64Array [N*2]. `out === points` is safe. */
export function applyAffine(out: Float64Array, points: ArrayLike<number>, m: ArrayLike<number>): Float64Array {
  const a00 = m[0]!, a01 = m[1]!, b0 = m[2]!, a10 = m[3]!, a11 = m[4]!, b1 = m[5]!;
  const n = Math.floor(points.length / 2);
  for (let i = 0; i < n; i++) {
    const x = points[2 * i]!, y = points[2 * i + 1]!;
    out[2 * i] = a00 * x + a01 * y + b0;
    out[2 * i + 1] = a10 * x + a11 * y + b1;
  }
  return out;
}

/** The inverse map, or a RangeError when m is not finite or not invertible. Returns Float64Array [6]. */
export function invertAffine(m: ArrayLike<number>): Float64Array {
  const a00 = m[0]!, a01 = m[1]!, b0 = m[2]!, a10 = m[3]!, a11 = m[4]!, b1 = m[5]!;
  const det = a00 * a11 - a01 * a10;
  if (!Number.isFinite(det) || det === 0 || !Number.isFinite(b0) || !Number.isFinite(b1)) {
    throw new RangeError(`invertAffine: map [${Array.from(m).join(', ')}] is not invertible`);
  }
  const i00 = a11 / det, i01 = -a01 / det, i10 = -a10 / det, i11 = a00 / det;
  return new Float64Array([i00, i01, -(i00 * b0 + i01 * b1), i10, i11, -(i10 * b0 + i11 * b1)]);
}

/**
 * Bilinear warp of an interleaved image. src, out: Float32Array [H*W*C] (no aliasing); inv: m⁻¹;
 * fill: [C] values outside the input.
 */
export function warpBilinear(out: Float32Array, src: Float32Array, width: number, height: number, channels: number, inv: ArrayLike<number>, fill: ArrayLike<number>): Float32Array {
  const i00 = inv[0]!, i01 = inv[1]!, ib0 = inv[2]!, i10 = inv[3]!, i11 = inv[4]!, ib1 = inv[5]!;
  const W = width, H = height, C = channels, lastX = W - 1, lastY = H - 1;
  for (let y = 0; y < H; y++) {
    const qy = y + 0.5;
    for (let x = 0; x < W; x++) {
      const qx = x + 0.5;
      const px = i00 * qx + i01 * qy + ib0, py = i10 * qx + i11 * qy + ib1;
      const o = (y * W + x) * C;
      if (!(px >= 0 && px <= W && py >= 0 && py <= H)) {
        for (let c = 0; c < C; c++) out[o + c] = fill[c]!;
        continue;
      }
      const sx = px - 0.5, sy = py - 0.5;
      const fx0 = Math.floor(sx), fy0 = Math.floor(sy);
      const fx = sx - fx0, fy = sy - fy0;
      const x0 = fx0 < 0 ? 0 : fx0 > lastX ? lastX : fx0, x1 = fx0 + 1 < 0 ? 0 : fx0 + 1 > lastX ? lastX : fx0 + 1;
      const y0 = fy0 < 0 ? 0 : fy0 > lastY ? lastY : fy0, y1 = fy0 + 1 < 0 ? 0 : fy0 + 1 > lastY ? lastY : fy0 + 1;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const s00 = (y0 * W + x0) * C, s01 = (y0 * W + x1) * C, s10 = (y1 * W + x0) * C, s11 = (y1 * W + x1) * C;
      if (C === 3) {
        out[o] = w00 * src[s00]! + w01 * src[s01]! + w10 * src[s10]! + w11 * src[s11]!;
        out[o + 1] = w00 * src[s00 + 1]! + w01 * src[s01 + 1]! + w10 * src[s10 + 1]! + w11 * src[s11 + 1]!;
        out[o + 2] = w00 * src[s00 + 2]! + w01 * src[s01 + 2]! + w10 * src[s10 + 2]! + w11 * src[s11 + 2]!;
      } else {
        for (let c = 0; c < C; c++) {
          out[o + c] = w00 * src[s00 + c]! + w01 * src[s01 + c]! + w10 * src[s10 + c]! + w11 * src[s11 + c]!;
        }
      }
    }
  }
  return out;
}
