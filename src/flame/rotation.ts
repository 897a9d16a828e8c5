/**
 * Axis-angle rotations: Rodrigues' formula and its derivative through the left Jacobian of SO(3),
 * ∂R/∂θ_a = [J_l(θ) e_a]× R, so that a change dθ rotates by the world-frame angle J_l(θ) dθ.
 * All matrices are 3×3 row-major in Float64Array(9) slots.
 */

/** out[o..o+9] = R(θ) for θ = aa[a..a+3]. Series expansion below 1e-8 rad for exactness. */
export function rodrigues(out: Float64Array, o: number, aa: ArrayLike<number>, a = 0): Float64Array {
  const x = aa[a]!, y = aa[a + 1]!, z = aa[a + 2]!;
  const t2 = x * x + y * y + z * z;
  let s: number, c: number; // R = I + s·[θ]× + c·[θ]×²
  if (t2 < 1e-16) {
    s = 1 - t2 / 6;
    c = 0.5 - t2 / 24;
  } else {
    const t = Math.sqrt(t2);
    s = Math.sin(t) / t;
    c = (1 - Math.cos(t)) / t2;
  }
  out[o] = 1 - c * (y * y + z * z);
  out[o + 1] = -s * z + c * x * y;
  out[o + 2] = s * y + c * x * z;
  out[o + 3] = s * z + c * x * y;
  out[o + 4] = 1 - c * (x * x + z * z);
  out[o + 5] = -s * x + c * y * z;
  out[o + 6] = -s * y + c * x * z;
  out[o + 7] = s * x + c * y * z;
  out[o + 8] = 1 - c * (x * x + y * y);
  return out;
}

/** out[o..o+9] = J_l(θ) = I + ((1−cos t)/t²)[θ]× + ((t − sin t)/t³)[θ]×², the left Jacobian of SO(3). */
export function leftJacobianSO3(out: Float64Array, o: number, aa: ArrayLike<number>, a = 0): Float64Array {
  const x = aa[a]!, y = aa[a + 1]!, z = aa[a + 2]!;
  const t2 = x * x + y * y + z * z;
  let p: number, q: number;
  if (t2 < 1e-12) {
    p = 0.5 - t2 / 24;
    q = 1 / 6 - t2 / 120;
  } else {
    const t = Math.sqrt(t2);
    p = (1 - Math.cos(t)) / t2;
    q = (t - Math.sin(t)) / (t2 * t);
  }
  out[o] = 1 - q * (y * y + z * z);
  out[o + 1] = -p * z + q * x * y;
  out[o + 2] = p * y + q * x * z;
  out[o + 3] = p * z + q * x * y;
  out[o + 4] = 1 - q * (x * x + z * z);
  out[o + 5] = -p * x + q * y * z;
  out[o + 6] = -p * y + q * x * z;
  out[o + 7] = p * x + q * y * z;
  out[o + 8] = 1 - q * (x * x + y * y);
  return out;
}

/** out = a·b for 3×3 row-major matrices at offsets (out may alias neither input). */
export function mul3(out: Float64Array, o: number, a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number): void {
  for (let r = 0; r < 3; r++) {
    const a0 = a[ao + 3 * r]!, a1 = a[ao + 3 * r + 1]!, a2 = a[ao + 3 * r + 2]!;
    out[o + 3 * r] = a0 * b[bo]! + a1 * b[bo + 3]! + a2 * b[bo + 6]!;
    out[o + 3 * r + 1] = a0 * b[bo + 1]! + a1 * b[bo + 4]! + a2 * b[bo + 7]!;
    out[o + 3 * r + 2] = a0 * b[bo + 2]! + a1 * b[bo + 5]! + a2 * b[bo + 8]!;
  }
}

/** out[0..3] = M·v for a 3×3 row-major M at offset mo. */
export function mulVec3(out: Float64Array, o: number, m: ArrayLike<number>, mo: number, x: number, y: number, z: number): void {
  out[o] = m[mo]! * x + m[mo + 1]! * y + m[mo + 2]! * z;
  out[o + 1] = m[mo + 3]! * x + m[mo + 4]! * y + m[mo + 5]! * z;
  out[o + 2] = m[mo + 6]! * x + m[mo + 7]! * y + m[mo + 8]! * z;
}

/** Axis-angle of a rotation matrix (inverse of `rodrigues`), robust near 0 and π. out: [3]. */
export function rotationToAxisAngle(out: Float64Array, R: ArrayLike<number>, o = 0): Float64Array {
  const tr = R[o]! + R[o + 4]! + R[o + 8]!;
  const cos = Math.min(1, Math.max(-1, (tr - 1) / 2));
  const angle = Math.acos(cos);
  if (angle < 1e-7) {
    out[0] = (R[o + 7]! - R[o + 5]!) / 2;
    out[1] = (R[o + 2]! - R[o + 6]!) / 2;
    out[2] = (R[o + 3]! - R[o + 1]!) / 2;
    return out;
  }
  if (Math.PI - angle < 1e-4) {
    // Near π: the axis is the column of R + I with the largest norm.
    const B = [R[o]! + 1, R[o + 1]!, R[o + 2]!, R[o + 3]!, R[o + 4]! + 1, R[o + 5]!, R[o + 6]!, R[o + 7]!, R[o + 8]! + 1];
    let best = 0, bestN = -1;
    for (let c = 0; c < 3; c++) {
      const n = B[c]! ** 2 + B[3 + c]! ** 2 + B[6 + c]! ** 2;
      if (n > bestN) { bestN = n; best = c; }
    }
    const n = Math.sqrt(bestN);
    let ax = B[best]! / n, ay = B[3 + best]! / n, az = B[6 + best]! / n;
    // Fix the sign with the antisymmetric part (sin θ is small but its sign still counts).
    const sx = R[o + 7]! - R[o + 5]!, sy = R[o + 2]! - R[o + 6]!, sz = R[o + 3]! - R[o + 1]!;
    if (ax * sx + ay * sy + az * sz < 0) { ax = -ax; ay = -ay; az = -az; }
    out[0] = ax * angle; out[1] = ay * angle; out[2] = az * angle;
    return out;
  }
  const k = angle / (2 * Math.sin(angle));
  out[0] = k * (R[o + 7]! - R[o + 5]!);
  out[1] = k * (R[o + 2]! - R[o + 6]!);
  out[2] = k * (R[o + 3]! - R[o + 1]!);
  return out;
}
