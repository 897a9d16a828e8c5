/**
 * Small image filters for the flow solver: derivatives, normalisation, a 3×3 median.
 * All arrays are Float32Array [H*W] row-major; borders replicate.
 */

/**
 * x-derivative with the 5-tap central stencil (−1, 8, 0, −8, 1)/12 (exact for quartics):
 * out[x] = (f[x−2] − 8 f[x−1] + 8 f[x+1] − f[x+2]) / 12, in value units per pixel.
 */
export function derivativeX(out: Float32Array, src: Float32Array, width: number, height: number): Float32Array {
  const W = width, last = W - 1, k = 1 / 12;
  for (let y = 0; y < height; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const m2 = x - 2 < 0 ? 0 : x - 2, m1 = x - 1 < 0 ? 0 : x - 1;
      const p1 = x + 1 > last ? last : x + 1, p2 = x + 2 > last ? last : x + 2;
      out[row + x] = (src[row + m2]! - 8 * src[row + m1]! + 8 * src[row + p1]! - src[row + p2]!) * k;
    }
  }
  return out;
}

/** y-derivative with the same stencil as `derivativeX`. */
export function derivativeY(out: Float32Array, src: Float32Array, width: number, height: number): Float32Array {
  const W = width, last = height - 1, k = 1 / 12;
  for (let y = 0; y < height; y++) {
    const m2 = (y - 2 < 0 ? 0 : y - 2) * W, m1 = (y - 1 < 0 ? 0 : y - 1) * W;
    const p1 = (y + 1 > last ? last : y + 1) * W, p2 = (y + 2 > last ? last : y + 2) * W;
    const row = y * W;
    for (let x = 0; x < W; x++) out[row + x] = (src[m2 + x]! - 8 * src[m1 + x]! + 8 * src[p1 + x]! - src[p2 + x]!) * k;
  }
  return out;
}

/**
 * In place, both arrays: (v − mean) / std with the mean and standard deviation of the two
 * together, so that the solver's weights do not depend on the photos' contrast while the
 * brightness relation between them stays as it was. Constant images become all zeros.
 */
export function normalizePairInPlace(a: Float32Array, b: Float32Array): void {
  const n = a.length + b.length;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]!;
  for (let i = 0; i < b.length; i++) sum += b[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i]! - mean; ss += d * d; }
  for (let i = 0; i < b.length; i++) { const d = b[i]! - mean; ss += d * d; }
  const std = Math.sqrt(ss / n);
  const s = std > 1e-12 ? 1 / std : 0;
  for (let i = 0; i < a.length; i++) a[i] = (a[i]! - mean) * s;
  for (let i = 0; i < b.length; i++) b[i] = (b[i]! - mean) * s;
}

const _m = new Float64Array(9);

/** Median of the 9 values in `_m` by a sorting network (19 compare-exchanges, Paeth/Devillard). */
function median9(): number {
  const m = _m;
  let t: number;
  // sort pairs/triples and merge; this network leaves the median in m[4]
  if (m[1]! > m[2]!) { t = m[1]!; m[1] = m[2]!; m[2] = t; }
  if (m[4]! > m[5]!) { t = m[4]!; m[4] = m[5]!; m[5] = t; }
  if (m[7]! > m[8]!) { t = m[7]!; m[7] = m[8]!; m[8] = t; }
  if (m[0]! > m[1]!) { t = m[0]!; m[0] = m[1]!; m[1] = t; }
  if (m[3]! > m[4]!) { t = m[3]!; m[3] = m[4]!; m[4] = t; }
  if (m[6]! > m[7]!) { t = m[6]!; m[6] = m[7]!; m[7] = t; }
  if (m[1]! > m[2]!) { t = m[1]!; m[1] = m[2]!; m[2] = t; }
  if (m[4]! > m[5]!) { t = m[4]!; m[4] = m[5]!; m[5] = t; }
  if (m[7]! > m[8]!) { t = m[7]!; m[7] = m[8]!; m[8] = t; }
  if (m[0]! > m[3]!) { t = m[0]!; m[0] = m[3]!; m[3] = t; }
  if (m[5]! > m[8]!) { t = m[5]!; m[5] = m[8]!; m[8] = t; }
  if (m[4]! > m[7]!) { t = m[4]!; m[4] = m[7]!; m[7] = t; }
  if (m[3]! > m[6]!) { t = m[3]!; m[3] = m[6]!; m[6] = t; }
  if (m[1]! > m[4]!) { t = m[1]!; m[1] = m[4]!; m[4] = t; }
  if (m[2]! > m[5]!) { t = m[2]!; m[2] = m[5]!; m[5] = t; }
  if (m[4]! > m[7]!) { t = m[4]!; m[4] = m[7]!; m[7] = t; }
  if (m[4]! > m[2]!) { t = m[4]!; m[4] = m[2]!; m[2] = t; }
  if (m[6]! > m[4]!) { t = m[6]!; m[6] = m[4]!; m[4] = t; }
  if (m[4]! > m[2]!) { t = m[4]!; m[4] = m[2]!; m[2] = t; }
  return m[4]!;
}

/**
 * 3×3 median of one channel of an interleaved array (stride `stride`, channel `c`), borders
 * replicated. src and out must not alias.
 */
export function median3x3(out: Float32Array, src: Float32Array, width: number, height: number, stride: number, c: number): Float32Array {
  const W = width, lastX = W - 1, lastY = height - 1, m = _m;
  for (let y = 0; y < height; y++) {
    const r0 = (y > 0 ? y - 1 : 0) * W, r1 = y * W, r2 = (y < lastY ? y + 1 : lastY) * W;
    for (let x = 0; x < W; x++) {
      const x0 = x > 0 ? x - 1 : 0, x2 = x < lastX ? x + 1 : lastX;
      m[0] = src[(r0 + x0) * stride + c]!; m[1] = src[(r0 + x) * stride + c]!; m[2] = src[(r0 + x2) * stride + c]!;
      m[3] = src[(r1 + x0) * stride + c]!; m[4] = src[(r1 + x) * stride + c]!; m[5] = src[(r1 + x2) * stride + c]!;
      m[6] = src[(r2 + x0) * stride + c]!; m[7] = src[(r2 + x) * stride + c]!; m[8] = src[(r2 + x2) * stride + c]!;
      out[(r1 + x) * stride + c] = median9();
    }
  }
  return out;
}

/**
 * Box mean of radius r along rows then columns (window (2r+1)², clipped at the borders, where the
 * mean is over the pixels inside). O(1) per pixel, row-major passes only. `tmp` is scratch of
 * W*H and `col` of W; out may be src.
 */
export function boxMean(out: Float32Array, src: Float32Array, tmp: Float32Array, col: Float64Array, width: number, height: number, r: number): Float32Array {
  const W = width, H = height;
  // 1. rows: src → tmp, a running sum along each row
  for (let y = 0; y < H; y++) {
    const row = y * W;
    let sum = 0;
    const hi0 = Math.min(r, W - 1);
    for (let x = 0; x <= hi0; x++) sum += src[row + x]!;
    for (let x = 0; x < W; x++) {
      const lo = x - r < 0 ? 0 : x - r, hi = x + r > W - 1 ? W - 1 : x + r;
      tmp[row + x] = sum / (hi - lo + 1);
      const add = x + r + 1, sub = x - r;
      if (add < W) sum += src[row + add]!;
      if (sub >= 0) sum -= src[row + sub]!;
    }
  }
  // 2. columns: tmp → out, running sums of whole rows (col[x] = Σ over the window's rows)
  col.fill(0, 0, W);
  const hi0 = Math.min(r, H - 1);
  for (let y = 0; y <= hi0; y++) { const row = y * W; for (let x = 0; x < W; x++) col[x] = col[x]! + tmp[row + x]!; }
  for (let y = 0; y < H; y++) {
    const lo = y - r < 0 ? 0 : y - r, hi = y + r > H - 1 ? H - 1 : y + r;
    const inv = 1 / (hi - lo + 1), row = y * W;
    for (let x = 0; x < W; x++) out[row + x] = col[x]! * inv;
    const add = y + r + 1, sub = y - r;
    if (add < H) { const ra = add * W; for (let x = 0; x < W; x++) col[x] = col[x]! + tmp[ra + x]!; }
    if (sub >= 0) { const rs = sub * W; for (let x = 0; x < W; x++) col[x] = col[x]! - tmp[rs + x]!; }
  }
  return out;
}

/**
 * Local contrast normalisation in place: v ← (v − m) / √(s² + floor²), with m and s² the local
 * mean and variance under an approximately Gaussian window (three box passes of radius r,
 * σ ≈ √(r(r+1)) pixels). Removes smooth lighting changes — offsets, gains, shading
 * ramps — whose scale is well above the window. `floor` keeps flat, noisy areas from being
 * amplified. scratch: two Float32Arrays of at least W*H.
 */
export function localNormalizeInPlace(data: Float32Array, width: number, height: number, r: number, floor: number, s1: Float32Array, s2: Float32Array): Float32Array {
  const n = width * height;
  const mean = s1.subarray(0, n), tmp = s2.subarray(0, n), col = new Float64Array(width);
  boxMean(mean, data, tmp, col, width, height, r);
  boxMean(mean, mean, tmp, col, width, height, r);
  boxMean(mean, mean, tmp, col, width, height, r);
  for (let i = 0; i < n; i++) data[i] = data[i]! - mean[i]!;
  const variance = mean; // reuse
  for (let i = 0; i < n; i++) variance[i] = data[i]! * data[i]!;
  boxMean(variance, variance, tmp, col, width, height, r);
  boxMean(variance, variance, tmp, col, width, height, r);
  boxMean(variance, variance, tmp, col, width, height, r);
  const f2 = floor * floor;
  for (let i = 0; i < n; i++) data[i] = data[i]! / Math.sqrt(variance[i]! + f2);
  return data;
}

/**
 * In place: separable binomial smoothing [1 4 6 4 1]/16 along rows and columns (σ = 1 pixel),
 * borders replicated. tmp: scratch of W*H.
 */
export function binomial5InPlace(data: Float32Array, tmp: Float32Array, width: number, height: number): Float32Array {
  const W = width, H = height, lastX = W - 1, lastY = H - 1;
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      const a = x - 2 < 0 ? 0 : x - 2, b = x - 1 < 0 ? 0 : x - 1, d = x + 1 > lastX ? lastX : x + 1, e = x + 2 > lastX ? lastX : x + 2;
      tmp[row + x] = (data[row + a]! + 4 * data[row + b]! + 6 * data[row + x]! + 4 * data[row + d]! + data[row + e]!) * 0.0625;
    }
  }
  for (let y = 0; y < H; y++) {
    const a = (y - 2 < 0 ? 0 : y - 2) * W, b = (y - 1 < 0 ? 0 : y - 1) * W, c = y * W;
    const d = (y + 1 > lastY ? lastY : y + 1) * W, e = (y + 2 > lastY ? lastY : y + 2) * W;
    for (let x = 0; x < W; x++) data[c + x] = (tmp[a + x]! + 4 * tmp[b + x]! + 6 * tmp[c + x]! + 4 * tmp[d + x]! + tmp[e + x]!) * 0.0625;
  }
  return data;
}
