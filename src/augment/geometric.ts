/**
 * Geometric augmentation: rotation, translation and scale of the image (a 2D similarity M of image
 * coordinates, p' = M·p), with every label carried along exactly.
 *
 * `warpSample(sample, m)` applies any orientation-preserving affine map m (the op draws a
 * similarity); what happens to each field:
 * - image: bilinear resampling (pixel (i, j) of the output shows the input at M⁻¹ of its centre),
 *   `fillColor` outside the input. occlusion: bilinear, 0 outside.
 * - mask, depth, normal, uv, triangle: nearest (the input pixel containing M⁻¹ of the centre),
 *   background values outside (0, Infinity, 0, NaN, −1). Depth values are unchanged (the new
 *   camera has the same z axis); normals are rotated by R_z (below).
 * - mu ← M·mu; uv_flow ← M·(F + p) − p at every texel centre p (F(p) = μ(p) − p, so the flow
 *   still points from p to the surface point's new image position; exact under bilinear sampling
 *   because M is affine).
 * - K, Rt: with M_h the 3×3 homogeneous form of M, M_h·K = K'·R_z (RQ decomposition: K' upper
 *   triangular with positive diagonal, R_z a rotation about the optical axis), Rt' = R_z·Rt. Then
 *   K'·Rt' = M_h·K·Rt, so projecting `vertices` with (K', Rt') gives M·mu: the new mu. For a K with
 *   square pixels and no skew and a similarity M, K' again has square pixels and no skew (exactly:
 *   rounding residue below 1e-12 relative is snapped away).
 * - vertices, vertex_uv, vertex/uv weights, uv_flow_valid: unchanged.
 * - visible: unchanged. It records the depth test against the rendered surface, not whether mu is
 *   inside the frame; a vertex pushed out of the image keeps visible = 1 (likewise its valid flow
 *   texels). Consumers that need "visible in this image" test 0 ≤ mu < (W, H) as well.
 *
 * M is drawn about the image centre c = (W/2, H/2): M(p) = s·R(θ)·(p − c) + c + t, θ uniform in
 * ±maxRotation degrees (positive θ turns the picture clockwise as displayed, image y pointing
 * down), s log-uniform in [minScale, maxScale], t uniform in ±maxTranslation·(W, H).
 * Mirroring is not offered: it would swap the subject's left and right vertices.
 */
import type { Sample } from '../io/index.js';
import { createOp, checkOrdered, checkRange, OptionError, resolveOptions, type AugmentOp } from './op.js';
import { applyAffine, invertAffine, warpBilinear } from './warp.js';

export interface GeometricOptions {
  /** Largest rotation, degrees (uniform in ±maxRotation). */
  maxRotation?: number;
  /** Largest translation as a fraction of the image width/height (uniform in ±). */
  maxTranslation?: number;
  /** Smallest scale (> 0). */
  minScale?: number;
  /** Largest scale; the scale is log-uniform in [minScale, maxScale]. */
  maxScale?: number;
  /** sRGB colour [r, g, b] in [0, 1] of image areas that come from outside the input. */
  fillColor?: number[];
}

export const GEOMETRIC_DEFAULTS: Required<GeometricOptions> = { maxRotation: 15, maxTranslation: 0.05, minScale: 0.9, maxScale: 1.1, fillColor: [0, 0, 0] };

/** The similarity about (cx, cy): p' = s·R(θ)·(p − c) + c + (tx, ty). Returns m: Float64Array [6]. */
export function similarity(scale: number, angleRad: number, tx: number, ty: number, cx: number, cy: number): Float64Array {
  const c = Math.cos(angleRad) * scale, s = Math.sin(angleRad) * scale;
  return new Float64Array([c, -s, cx + tx - (c * cx - s * cy), s, c, cy + ty - (s * cx + c * cy)]);
}

export interface WarpedCamera {
  /** K': Float64Array [9], upper triangular, last row (0, 0, 1). */
  K: Float64Array;
  /** Rt' = R_z·Rt: Float64Array [12]. */
  Rt: Float64Array;
  /** R_z: Float64Array [9], the rotation about the optical axis taken into the extrinsics. */
  rotation: Float64Array;
}

/**
 * The camera of the warped image (see the file note): M_h·K = K'·R_z, Rt' = R_z·Rt.
 * K: [9] with last row (0, 0, 1); Rt: [12]; m: [6] with det > 0.
 */
export function warpCamera(K: ArrayLike<number>, Rt: ArrayLike<number>, m: ArrayLike<number>): WarpedCamera {
  if (K[6] !== 0 || K[7] !== 0 || K[8] !== 1) throw new RangeError(`warpCamera: K's last row must be (0, 0, 1), found (${K[6]}, ${K[7]}, ${K[8]})`);
  const a00 = m[0]!, a01 = m[1]!, b0 = m[2]!, a10 = m[3]!, a11 = m[4]!, b1 = m[5]!;
  if (!(a00 * a11 - a01 * a10 > 0)) throw new RangeError(`warpCamera: map [${Array.from(m).join(', ')}] must preserve orientation (det > 0)`);
  const k00 = K[0]!, k01 = K[1]!, k02 = K[2]!, k10 = K[3]!, k11 = K[4]!, k12 = K[5]!;
  // B = top-left 2×2 of M_h·K; last column of M_h·K is (A·(k02, k12) + b, 1)
  const p = a00 * k00 + a01 * k10, q = a00 * k01 + a01 * k11;
  const r = a10 * k00 + a11 * k10, s = a10 * k01 + a11 * k11;
  const c0 = a00 * k02 + a01 * k12 + b0, c1 = a10 * k02 + a11 * k12 + b1;
  // RQ of B = U·Q, Q = [[cos, −sin], [sin, cos]]: row 2 of B = u22·(sin, cos)
  const u22 = Math.hypot(r, s);
  const sin = r / u22, cos = s / u22;
  let u11 = p * cos - q * sin, u12 = p * sin + q * cos;
  const tol = 1e-12 * u22;
  if (k01 === 0 && k10 === 0 && k00 === k11 && Math.abs(u11 - u22) <= tol && Math.abs(u12) <= tol) {
    u11 = u22;
    u12 = 0;
  }
  const Kp = new Float64Array([u11, u12, c0, 0, u22, c1, 0, 0, 1]);
  const Rz = new Float64Array([cos, -sin, 0, sin, cos, 0, 0, 0, 1]);
  const Rtp = new Float64Array(12);
  for (let j = 0; j < 4; j++) {
    const t0 = Rt[j]!, t1 = Rt[4 + j]!;
    Rtp[j] = cos * t0 - sin * t1;
    Rtp[4 + j] = sin * t0 + cos * t1;
    Rtp[8 + j] = Rt[8 + j]!;
  }
  return { K: Kp, Rt: Rtp, rotation: Rz };
}

/**
 * Nearest-neighbour warp of the label maps in one pass (one monomorphic loop: a generic gather
 * called with five array types measured 2× slower). Output pixel q takes the input pixel that
 * contains inv(q's centre), or the background value when that point is outside the input.
 * Normals are rotated by (cos, sin) about the optical axis.
 */
function warpMaps(out: Sample, sample: Sample, inv: Float64Array, cos: number, sin: number): void {
  const W = sample.width, H = sample.height, n = W * H;
  const i00 = inv[0]!, i01 = inv[1]!, ib0 = inv[2]!, i10 = inv[3]!, i11 = inv[4]!, ib1 = inv[5]!;
  const mask = sample.mask, depth = sample.depth ?? null, normal = sample.normal ?? null, uv = sample.uv ?? null, triangle = sample.triangle ?? null;
  const oMask = new Uint8Array(n);
  const oDepth = depth ? new Float32Array(n) : null, oNormal = normal ? new Float32Array(3 * n) : null;
  const oUv = uv ? new Float32Array(2 * n) : null, oTriangle = triangle ? new Int32Array(n) : null;
  for (let y = 0; y < H; y++) {
    const qy = y + 0.5;
    for (let x = 0; x < W; x++) {
      const qx = x + 0.5, p = y * W + x;
      const ix = Math.floor(i00 * qx + i01 * qy + ib0), iy = Math.floor(i10 * qx + i11 * qy + ib1);
      if (!(ix >= 0 && ix < W && iy >= 0 && iy < H)) {
        // mask and normal stay 0
        if (oDepth) oDepth[p] = Infinity;
        if (oUv) { oUv[2 * p] = NaN; oUv[2 * p + 1] = NaN; }
        if (oTriangle) oTriangle[p] = -1;
        continue;
      }
      const s = iy * W + ix;
      oMask[p] = mask[s]!;
      if (oDepth) oDepth[p] = depth![s]!;
      if (oNormal) {
        const nx = normal![3 * s]!, ny = normal![3 * s + 1]!;
        oNormal[3 * p] = cos * nx - sin * ny;
        oNormal[3 * p + 1] = sin * nx + cos * ny;
        oNormal[3 * p + 2] = normal![3 * s + 2]!;
      }
      if (oUv) { oUv[2 * p] = uv![2 * s]!; oUv[2 * p + 1] = uv![2 * s + 1]!; }
      if (oTriangle) oTriangle[p] = triangle![s]!;
    }
  }
  out.mask = oMask;
  if (oDepth) out.depth = oDepth;
  if (oNormal) out.normal = oNormal;
  if (oUv) out.uv = oUv;
  if (oTriangle) out.triangle = oTriangle;
}

/**
 * The sample seen through the affine image map m (Float64Array-like [6], det > 0), with every
 * label transformed as the file note says. fillColor: [3] sRGB of areas outside the input.
 */
export function warpSample(sample: Sample, m: ArrayLike<number>, fillColor: ArrayLike<number> = [0, 0, 0]): Sample {
  const W = sample.width, H = sample.height, n = W * H;
  const inv = invertAffine(m);
  const camera = warpCamera(sample.K, sample.Rt, m);
  const out: Sample = { ...sample, K: camera.K, Rt: camera.Rt };
  out.image = warpBilinear(new Float32Array(3 * n), sample.image, W, H, 3, inv, fillColor);
  if (sample.occlusion) out.occlusion = warpBilinear(new Float32Array(n), sample.occlusion, W, H, 1, inv, [0]);
  warpMaps(out, sample, inv, camera.rotation[0]!, camera.rotation[3]!);

  out.mu = applyAffine(new Float64Array(sample.mu.length), sample.mu, m);

  // uv_flow: F' = M·(F + p) − p at texel centres p = (col + ½, row + ½)
  const D = sample.uvSize, F = sample.uvFlow, Fp = new Float32Array(F.length);
  const a00 = m[0]!, a01 = m[1]!, b0 = m[2]!, a10 = m[3]!, a11 = m[4]!, b1 = m[5]!;
  for (let row = 0; row < D; row++) {
    const py = row + 0.5;
    for (let col = 0; col < D; col++) {
      const px = col + 0.5, t = 2 * (row * D + col);
      const mx = F[t]! + px, my = F[t + 1]! + py;
      Fp[t] = a00 * mx + a01 * my + b0 - px;
      Fp[t + 1] = a10 * mx + a11 * my + b1 - py;
    }
  }
  out.uvFlow = Fp;
  return out;
}

export function geometric(options: GeometricOptions = {}): AugmentOp {
  const o = resolveOptions('geometric', GEOMETRIC_DEFAULTS, options);
  checkRange('geometric', 'maxRotation', o.maxRotation, 0, 180);
  checkRange('geometric', 'maxTranslation', o.maxTranslation, 0, 1);
  checkRange('geometric', 'minScale', o.minScale, 0.05, 20);
  checkRange('geometric', 'maxScale', o.maxScale, 0.05, 20);
  checkOrdered('geometric', 'minScale', o.minScale, 'maxScale', o.maxScale);
  if (o.fillColor.length !== 3 || o.fillColor.some((v) => !(v >= 0 && v <= 1))) {
    throw new OptionError('geometric', `option 'fillColor' must be [r, g, b] in [0, 1], found [${o.fillColor.join(', ')}]`);
  }
  const fill = Float32Array.from(o.fillColor);
  const lnMin = Math.log(o.minScale), lnMax = Math.log(o.maxScale);
  return createOp('geometric', (sample, rng) => {
    const angle = (rng.uniform(-o.maxRotation, o.maxRotation) * Math.PI) / 180;
    const scale = Math.exp(rng.uniform(lnMin, lnMax));
    const tx = rng.uniform(-o.maxTranslation, o.maxTranslation) * sample.width;
    const ty = rng.uniform(-o.maxTranslation, o.maxTranslation) * sample.height;
    return warpSample(sample, similarity(scale, angle, tx, ty, sample.width / 2, sample.height / 2), fill);
  });
}
