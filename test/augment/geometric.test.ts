import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { geometric, similarity, warpCamera, warpSample, invertAffine, applyAffine } from '../../src/augment/index.js';
import type { Sample } from '../../src/io/sample.js';
import { bilinear, bytes, castRay, planeSample, project, sameBytes } from './synthetic.js';

const WIDE = { maxRotation: 45, maxTranslation: 0.1, minScale: 0.7, maxScale: 1.4 };

function expectProjectionIdentity(s: Sample, tol = 1e-6): void {
  const p = project(s.vertices, s.K, s.Rt);
  for (let i = 0; i < p.length; i++) expect(Math.abs(p[i]! - s.mu[i]!)).toBeLessThan(tol);
}

/** max over vertices of |ν + bilinear(F, ν) − μ|. */
function flowError(s: Sample): number {
  let worst = 0;
  const f: number[] = [];
  for (let i = 0; i < s.mu.length / 2; i++) {
    const nx = s.vertexUv[2 * i]!, ny = s.vertexUv[2 * i + 1]!;
    bilinear(s.uvFlow, s.uvSize, s.uvSize, 2, nx, ny, f);
    worst = Math.max(worst, Math.abs(nx + f[0]! - s.mu[2 * i]!), Math.abs(ny + f[1]! - s.mu[2 * i + 1]!));
  }
  return worst;
}

function distanceToSegment(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const ex = bx - ax, ey = by - ay, t = Math.max(0, Math.min(1, ((x - ax) * ex + (y - ay) * ey) / (ex * ex + ey * ey)));
  return Math.hypot(x - ax - t * ex, y - ay - t * ey);
}

describe('the synthetic plane sample', () => {
  it('satisfies the label identities before augmentation (sanity of the test fixture)', () => {
    for (const tilt of [false, true]) expectProjectionIdentity(planeSample({ tilt }), 1e-9);
    expect(flowError(planeSample({ tilt: false }))).toBeLessThan(1e-4);
  });
});

describe('warpCamera', () => {
  it('keeps square pixels, no skew and K·R_z = M_h·K; R_z is a rotation about the optical axis', () => {
    const K = [70, 0, 32, 0, 70, 32, 0, 0, 1];
    const m = similarity(1.3, 0.7, 3, -2, 32, 32);
    const cam = warpCamera(K, new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]), m);
    expect(cam.K[1]).toBe(0);
    expect(cam.K[3]).toBe(0);
    expect(cam.K[0]).toBe(cam.K[4]);
    expect(cam.K[0]).toBeCloseTo(70 * 1.3, 10);
    expect(Array.from(cam.K.slice(6))).toEqual([0, 0, 1]);
    const Rz = cam.rotation;
    expect(Rz[0]).toBeCloseTo(Math.cos(0.7), 12);
    expect(Rz[3]).toBeCloseTo(Math.sin(0.7), 12);
    // K'·R_z = M_h·K
    const Mh = [m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, 0, 0, 1];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let a = 0, b = 0;
        for (let k = 0; k < 3; k++) { a += cam.K[3 * i + k]! * Rz[3 * k + j]!; b += Mh[3 * i + k]! * K[3 * k + j]!; }
        expect(a).toBeCloseTo(b, 9);
      }
    }
  });

  it('handles a general K (fx ≠ fy, skew) and a general affine map exactly', () => {
    const K = [80, 1.5, 30, 0, 60, 35, 0, 0, 1];
    const m = [1.1, 0.3, 4, -0.2, 0.9, -3];
    const cam = warpCamera(K, new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]), m);
    expect(cam.K[3]).toBe(0);
    expect(cam.K[0]).toBeGreaterThan(0);
    expect(cam.K[4]).toBeGreaterThan(0);
    const Mh = [...m, 0, 0, 1];
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let a = 0, b = 0;
        for (let k = 0; k < 3; k++) { a += cam.K[3 * i + k]! * cam.rotation[3 * k + j]!; b += Mh[3 * i + k]! * K[3 * k + j]!; }
        expect(a).toBeCloseTo(b, 9);
      }
    }
  });

  it('rejects mirroring maps and a K without last row (0, 0, 1)', () => {
    expect(() => warpCamera([1, 0, 0, 0, 1, 0, 0, 0, 1], new Float64Array(12), [-1, 0, 0, 0, 1, 0])).toThrow(/det > 0/);
    expect(() => warpCamera([1, 0, 0, 0, 1, 0, 0, 1, 1], new Float64Array(12), [1, 0, 0, 0, 1, 0])).toThrow(/last row/);
  });
});

describe('warpSample', () => {
  it('the identity map changes nothing', () => {
    const s = planeSample({ tilt: true });
    expect(sameBytes(warpSample(s, [1, 0, 0, 0, 1, 0]), s)).toBe(true);
  });

  for (const tilt of [false, true]) {
    it(`projecting vertices with (K', Rt') gives mu' = M·mu to 1e-6 px, Rt' stays a rotation (tilt ${tilt})`, () => {
      const s = planeSample({ tilt });
      const m = similarity(1.2, 0.5, 4, -3, 32, 32);
      const w = warpSample(s, m);
      expectProjectionIdentity(w);
      const expected = applyAffine(new Float64Array(s.mu.length), s.mu, m);
      for (let i = 0; i < expected.length; i++) expect(Math.abs(w.mu[i]! - expected[i]!)).toBeLessThan(1e-9);
      const R = [0, 1, 2].map((r) => [w.Rt[4 * r]!, w.Rt[4 * r + 1]!, w.Rt[4 * r + 2]!]);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) expect(R[a]![0]! * R[b]![0]! + R[a]![1]! * R[b]![1]! + R[a]![2]! * R[b]![2]!).toBeCloseTo(a === b ? 1 : 0, 12);
      // camera depth of every vertex unchanged (R_z keeps the z axis)
      for (let i = 0; i < 25; i++) {
        const z = (Rt: Float64Array): number => Rt[8]! * s.vertices[3 * i]! + Rt[9]! * s.vertices[3 * i + 1]! + Rt[10]! * s.vertices[3 * i + 2]! + Rt[11]!;
        expect(z(w.Rt)).toBeCloseTo(z(s.Rt), 12);
      }
    });
  }

  it('keeps bilinear(vertex_uv + uv_flow) = mu for an analytic flow (fronto-parallel plane)', () => {
    const s = planeSample({ tilt: false });
    const w = warpSample(s, similarity(0.8, -0.9, -5, 6, 32, 32));
    expect(flowError(w)).toBeLessThan(2e-4);
    // and it is a real change: the old flow no longer fits the new mu
    expect(flowError({ ...w, uvFlow: s.uvFlow })).toBeGreaterThan(1);
  });

  it('moves the image with mu: colours encoding position are found at mu\' with the old position', () => {
    const s = planeSample({ tilt: true });
    const m = similarity(1.15, 0.6, 2.5, -1.5, 32, 32), inv = invertAffine(m);
    const w = warpSample(s, m);
    const c: number[] = [];
    let checked = 0;
    for (let i = 0; i < 25; i++) {
      const x = w.mu[2 * i]!, y = w.mu[2 * i + 1]!;
      // all four neighbouring output centres must come from inside the input's texel-centre range
      let ok = x > 2 && x < 62 && y > 2 && y < 62;
      for (const [dx, dy] of [[-1, -1], [1, -1], [-1, 1], [1, 1]]) {
        const src = applyAffine(new Float64Array(2), [x + dx!, y + dy!], inv);
        ok &&= src[0]! > 1 && src[0]! < 63 && src[1]! > 1 && src[1]! < 63;
      }
      if (!ok) continue;
      bilinear(w.image, 64, 64, 3, x, y, c);
      expect(Math.abs(c[0]! * 64 - s.mu[2 * i]!)).toBeLessThan(1e-3);
      expect(Math.abs(c[1]! * 64 - s.mu[2 * i + 1]!)).toBeLessThan(1e-3);
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('moves a rendered dot to where mu moves (intensity centroid within 0.05 px)', () => {
    const s = planeSample({ tilt: true });
    const k = 6, sigma = 1.6, image = new Float32Array(64 * 64 * 3);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const g = Math.exp(-((x + 0.5 - s.mu[2 * k]!) ** 2 + (y + 0.5 - s.mu[2 * k + 1]!) ** 2) / (2 * sigma * sigma));
        image.fill(g, 3 * (64 * y + x), 3 * (64 * y + x) + 3);
      }
    }
    const w = warpSample({ ...s, image }, similarity(1.1, -0.8, 5, 4, 32, 32));
    let sw = 0, sx = 0, sy = 0;
    for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) { const v = w.image[3 * (64 * y + x)]!; sw += v; sx += v * (x + 0.5); sy += v * (y + 0.5); }
    expect(Math.abs(sx / sw - w.mu[2 * k]!)).toBeLessThan(0.05);
    expect(Math.abs(sy / sw - w.mu[2 * k + 1]!)).toBeLessThan(0.05);
    // the dot did move
    expect(Math.hypot(w.mu[2 * k]! - s.mu[2 * k]!, w.mu[2 * k + 1]! - s.mu[2 * k + 1]!)).toBeGreaterThan(2);
  });

  it('warps mask, depth, normals, uv and triangle ids into agreement with the new camera', () => {
    const s = planeSample({ tilt: true });
    const scale = 1.25, m = similarity(scale, 0.9, -3, 4, 32, 32);
    const w = warpSample(s, m);
    const corners = project([-0.15, -0.15, 0, 0.15, -0.15, 0, 0.15, 0.15, 0, -0.15, 0.15, 0], w.K, w.Rt);
    const reach = scale * Math.SQRT1_2 + 1e-9; // nearest sampling moves a point by at most this, in output pixels
    let inside = 0, mismatches = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const p = 64 * y + x, qx = x + 0.5, qy = y + 0.5;
        const hit = castRay(qx, qy, w.K, w.Rt);
        const u = (hit.X + 0.15) / 0.3, v = (hit.Y + 0.15) / 0.3;
        const analytic = u >= 0 && u <= 1 && v >= 0 && v <= 1;
        let edge = Infinity;
        for (let c = 0; c < 4; c++) edge = Math.min(edge, distanceToSegment(qx, qy, corners[2 * c]!, corners[2 * c + 1]!, corners[(2 * c + 2) % 8]!, corners[(2 * c + 3) % 8]!));
        if ((w.mask[p] === 1) !== analytic) {
          mismatches++;
          expect(edge).toBeLessThanOrEqual(reach);
        }
        if (w.mask[p] === 0) {
          expect(w.depth![p]).toBe(Infinity);
          expect(Number.isNaN(w.uv![2 * p])).toBe(true);
          expect(w.triangle![p]).toBe(-1);
          expect([w.normal![3 * p], w.normal![3 * p + 1], w.normal![3 * p + 2]]).toEqual([0, 0, 0]);
          continue;
        }
        inside++;
        // normals: the plane's normal in the new camera frame, exactly (a plane has one normal)
        for (let c = 0; c < 3; c++) expect(Math.abs(w.normal![3 * p + c]! - hit.normal[c]!)).toBeLessThan(1e-6);
        // depth and uv: the analytic values at this pixel centre, up to the nearest-sampling offset
        const dzx = castRay(qx + 1e-3, qy, w.K, w.Rt).depth - hit.depth, dzy = castRay(qx, qy + 1e-3, w.K, w.Rt).depth - hit.depth;
        expect(Math.abs(w.depth![p]! - hit.depth)).toBeLessThanOrEqual((reach * Math.hypot(dzx, dzy)) / 1e-3 + 1e-6);
        const hx = castRay(qx + 1e-3, qy, w.K, w.Rt), hy = castRay(qx, qy + 1e-3, w.K, w.Rt);
        const du = Math.hypot(hx.X - hit.X, hy.X - hit.X) / 0.3 / 1e-3, dv = Math.hypot(hx.Y - hit.Y, hy.Y - hit.Y) / 0.3 / 1e-3;
        expect(Math.abs(w.uv![2 * p]! - u)).toBeLessThanOrEqual(reach * du + 1e-6);
        expect(Math.abs(w.uv![2 * p + 1]! - v)).toBeLessThanOrEqual(reach * dv + 1e-6);
        expect(w.triangle![p]).toBe(w.uv![2 * p]! > w.uv![2 * p + 1]! ? 0 : 1);
      }
    }
    expect(inside).toBeGreaterThan(1000);
    expect(mismatches).toBeLessThan(200);
  });

  it('warps the occlusion map bilinearly like the image, 0 outside', () => {
    const s = planeSample();
    const occlusion = new Float32Array(64 * 64).map((_, p) => s.image[3 * p]!);
    const w = warpSample({ ...s, occlusion }, similarity(0.7, 0.4, 0, 0, 32, 32));
    let outside = 0;
    for (let p = 0; p < 64 * 64; p++) {
      expect(w.occlusion![p]).toBe(w.image[3 * p]);
      if (w.occlusion![p] === 0) outside++;
    }
    expect(outside).toBeGreaterThan(100); // scale 0.7 uncovers the borders
  });

  it('leaves vertices, visibility, vertex UVs, weights and flow validity unchanged; vertices leaving the frame stay visible', () => {
    const s = planeSample();
    const w = warpSample(s, similarity(1, 0, 40, 0, 32, 32));
    for (const k of ['vertices', 'visible', 'vertexUv', 'vertexWeight', 'uvFlowValid', 'uvWeight'] as const) expect(w[k]).toBe(s[k]);
    const outside = [...Array(25).keys()].filter((i) => w.mu[2 * i]! > 64 && s.visible[i] === 1);
    expect(outside.length).toBeGreaterThan(0);
  });

  it('does not modify its input', () => {
    const s = planeSample({ tilt: true }), copy = planeSample({ tilt: true });
    warpSample(s, similarity(1.2, 0.3, 1, 1, 32, 32));
    expect(sameBytes(s, copy)).toBe(true);
  });
});

describe('geometric op', () => {
  for (let seed = 1; seed <= 12; seed++) {
    it(`keeps every identity (seed geo-${seed})`, () => {
      const s = planeSample({ tilt: seed % 2 === 0 });
      const w = geometric(WIDE).apply(s, new Rng(`geo-${seed}`)) as Sample;
      expectProjectionIdentity(w);
      if (seed % 2 === 1) expect(flowError(w)).toBeLessThan(2e-4);
      expect(w.K[1]).toBe(0);
      expect(w.K[0]).toBe(w.K[4]);
      expect(Buffer.compare(bytes(w.mu), bytes(s.mu))).not.toBe(0);
    });
  }

  it('draws rotation, scale and translation within the configured ranges', () => {
    const s = planeSample();
    for (let seed = 0; seed < 50; seed++) {
      const w = geometric({ maxRotation: 10, maxTranslation: 0.05, minScale: 0.9, maxScale: 1.1 }).apply(s, new Rng(`range-${seed}`)) as Sample;
      const scale = w.K[0]! / s.K[0]!;
      expect(scale).toBeGreaterThanOrEqual(0.9 - 1e-12);
      expect(scale).toBeLessThanOrEqual(1.1 + 1e-12);
      const angle = Math.atan2(w.Rt[4]! * s.Rt[0]! + w.Rt[5]! * s.Rt[1]! + w.Rt[6]! * s.Rt[2]!, w.Rt[0]! * s.Rt[0]! + w.Rt[1]! * s.Rt[1]! + w.Rt[2]! * s.Rt[2]!);
      expect(Math.abs(angle)).toBeLessThanOrEqual((10 * Math.PI) / 180 + 1e-9);
      // the image centre moves by the translation only: at most 5% of the size per axis
      expect(Math.abs(w.K[2]! - 32)).toBeLessThanOrEqual(0.05 * 64 + 1e-9);
    }
  });

  it('fills uncovered areas with fillColor', () => {
    const s = planeSample();
    const w = geometric({ maxRotation: 0, maxTranslation: 0, minScale: 0.5, maxScale: 0.5, fillColor: [0.25, 0.5, 1] }).apply(s, new Rng(1)) as Sample;
    expect(Array.from(w.image.slice(0, 3))).toEqual([0.25, 0.5, 1]);
  });

  it('rejects bad options', () => {
    expect(() => geometric({ minScale: 2, maxScale: 1 })).toThrow(/minScale/);
    expect(() => geometric({ fillColor: [0, 0] })).toThrow(/fillColor/);
    expect(() => geometric({ maxRotation: -1 })).toThrow(/maxRotation/);
  });
});
