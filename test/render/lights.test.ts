import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { checkLightRig, colorTemperature, shBasis, shIrradiance, shIrradianceMatrices } from '../../src/render/lights.js';

/** E(n) = ∫ L(ω) max(0, n·ω) dω by the midpoint rule on a (θ, φ) grid. */
function irradianceNumeric(L: (x: number, y: number, z: number) => number, n: readonly number[], steps = 300): number {
  let sum = 0;
  const dth = Math.PI / steps, dph = (2 * Math.PI) / (2 * steps);
  for (let a = 0; a < steps; a++) {
    const th = (a + 0.5) * dth, st = Math.sin(th), ct = Math.cos(th);
    for (let b = 0; b < 2 * steps; b++) {
      const ph = (b + 0.5) * dph;
      const x = st * Math.cos(ph), y = st * Math.sin(ph), z = ct;
      const c = n[0]! * x + n[1]! * y + n[2]! * z;
      if (c > 0) sum += L(x, y, z) * c * st * dth * dph;
    }
  }
  return sum;
}

describe('spherical-harmonics environment (seed lights-sh-1)', () => {
  const rng = new Rng('lights-sh-1');
  const Y = new Float64Array(9);
  // a band-limited (l <= 2) radiance L(ω) = Σ_i L_i Y_i(ω) per channel: R&H's irradiance is exact for it
  const sh = new Float64Array(27);
  for (let i = 0; i < 27; i++) sh[i] = rng.normal(0, 0.3) + (i < 3 ? 2 : 0);
  const radiance = (c: number) => (x: number, y: number, z: number): number => {
    shBasis(Y, x, y, z);
    let s = 0;
    for (let i = 0; i < 9; i++) s += sh[3 * i + c]! * Y[i]!;
    return s;
  };

  it('shIrradiance equals the integral of L(ω)·max(0, n·ω) at random normals', () => {
    for (let k = 0; k < 6; k++) {
      const n = rng.unitVector(), c = k % 3;
      const exact = irradianceNumeric(radiance(c), n);
      // R&H's constants have 6 digits
      expect(shIrradiance(sh, c, n[0], n[1], n[2])).toBeCloseTo(exact, 3);
    }
  });

  it('the quadratic-form matrices give the same irradiance', () => {
    const M = shIrradianceMatrices(sh);
    for (let k = 0; k < 50; k++) {
      const [x, y, z] = rng.unitVector();
      const v = [x, y, z, 1];
      for (let c = 0; c < 3; c++) {
        let e = 0;
        for (let r = 0; r < 4; r++) for (let s = 0; s < 4; s++) e += v[r]! * M[16 * c + 4 * r + s]! * v[s]!;
        expect(e).toBeCloseTo(shIrradiance(sh, c, x, y, z), 12);
      }
    }
  });

  it('a uniform environment L gives E = π·L, so ρ·E/π equals ambient L', () => {
    const u = new Float64Array(27);
    u[0] = Math.sqrt(4 * Math.PI) * 0.7; u[1] = Math.sqrt(4 * Math.PI) * 0.2; u[2] = Math.sqrt(4 * Math.PI) * 1.5;
    for (const [x, y, z] of [[0, 0, 1], [1, 0, 0], [0.6, -0.8, 0]]) {
      expect(shIrradiance(u, 0, x!, y!, z!)).toBeCloseTo(Math.PI * 0.7, 5);
      expect(shIrradiance(u, 2, x!, y!, z!)).toBeCloseTo(Math.PI * 1.5, 5);
    }
    // and z² (hand-computed: E(+z) = ∫ z³ over the hemisphere = π/2)
    const z2 = (x: number, y: number, z: number): number => z * z;
    expect(irradianceNumeric(z2, [0, 0, 1])).toBeCloseTo(Math.PI / 2, 4);
  });
});

describe('colorTemperature', () => {
  // linear sRGB → CIE xy chromaticity
  const xy = (rgb: number[]): [number, number] => {
    const [r, g, b] = rgb as [number, number, number];
    const X = 0.4124 * r + 0.3576 * g + 0.1805 * b, Y = 0.2126 * r + 0.7152 * g + 0.0722 * b, Z = 0.0193 * r + 0.1192 * g + 0.9505 * b;
    return [X / (X + Y + Z), Y / (X + Y + Z)];
  };

  it('lies on the Planckian locus (CIE 1931 chromaticities of black bodies)', () => {
    const locus: Array<[number, number, number]> = [[3000, 0.4369, 0.4041], [4000, 0.3805, 0.3768], [5000, 0.3451, 0.3516], [6500, 0.3135, 0.3237], [10000, 0.2807, 0.2884]];
    for (const [T, x, y] of locus) {
      const [cx, cy] = xy(colorTemperature(T));
      expect(Math.abs(cx - x)).toBeLessThan(2e-3);
      expect(Math.abs(cy - y)).toBeLessThan(2e-3);
    }
  });

  it('has unit luminance, is near white at 6500 K, warm below and cool above', () => {
    for (const T of [3000, 4500, 6500, 9000]) {
      const [r, g, b] = colorTemperature(T);
      expect(0.2126 * r + 0.7152 * g + 0.0722 * b).toBeCloseTo(1, 3);
    }
    const w = colorTemperature(6500);
    for (const c of w) expect(Math.abs(c - 1)).toBeLessThan(0.1);
    const warm = colorTemperature(2700), cool = colorTemperature(9000);
    expect(warm[0]).toBeGreaterThan(warm[1]);
    expect(warm[1]).toBeGreaterThan(warm[2]);
    expect(cool[2]).toBeGreaterThan(cool[0]);
    for (const c of colorTemperature(1000)) expect(c).toBeGreaterThanOrEqual(0); // clamped range, no negatives
  });
});

describe('checkLightRig', () => {
  it('rejects malformed rigs, naming the light', () => {
    expect(() => checkLightRig({ ambient: [0, 0, NaN], directional: [], point: [] })).toThrow(/ambient/);
    expect(() => checkLightRig({ ambient: [0, 0, 0], directional: [{ direction: [0, 0, 0], color: [1, 1, 1] }], point: [] })).toThrow(/directional light 0 has a zero direction/);
    expect(() => checkLightRig({ ambient: [0, 0, 0], sh: new Float64Array(9), directional: [], point: [] })).toThrow(/27 coefficients/);
    expect(() => checkLightRig({ ambient: [0, 0, 0], directional: [], point: [{ position: [0, Infinity, 0], color: [1, 1, 1] }] })).toThrow(/point light 0 position/);
  });
});
