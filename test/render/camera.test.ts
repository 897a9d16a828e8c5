import { describe, expect, it } from 'vitest';
import { numpy, runPython } from '../helpers/python.js';
import { Rng } from '../../src/util/rng.js';
import { checkCamera, focalFromFullFrameMm, intrinsics, lookAtRt, projectPoints, projectWithDepth, worldToCamera, type Camera } from '../../src/render/index.js';

describe('intrinsics and focal length', () => {
  it('puts the principal point at the image centre (W/2, H/2), between pixels for even sizes', () => {
    expect(Array.from(intrinsics(800, 640, 480))).toEqual([800, 0, 320, 0, 800, 240, 0, 0, 1]);
    expect(Array.from(intrinsics(10, 5, 3))).toEqual([10, 0, 2.5, 0, 10, 1.5, 0, 0, 1]);
  });

  it('converts a full-frame focal length (36 mm sensor width) to pixels', () => {
    expect(focalFromFullFrameMm(50, 3600)).toBe(5000);
    expect(focalFromFullFrameMm(36, 512)).toBe(512);
    expect(focalFromFullFrameMm(85, 1024)).toBeCloseTo((85 / 36) * 1024, 12);
  });
});

describe('lookAtRt', () => {
  it('builds an OpenCV camera: orthonormal R, eye at the origin, target on +Z, up towards image top (seed camera-lookat-1)', () => {
    const rng = new Rng('camera-lookat-1');
    for (let trial = 0; trial < 100; trial++) {
      const eye = [rng.normal(), rng.normal(), rng.normal()], target = [rng.normal(), rng.normal(), rng.normal()];
      const up = rng.unitVector();
      const Rt = lookAtRt(eye, target, up);
      const R = [0, 1, 2].map((r) => [Rt[4 * r]!, Rt[4 * r + 1]!, Rt[4 * r + 2]!]);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) expect(R[a]![0]! * R[b]![0]! + R[a]![1]! * R[b]![1]! + R[a]![2]! * R[b]![2]!).toBeCloseTo(a === b ? 1 : 0, 12);
      const det = R[0]![0]! * (R[1]![1]! * R[2]![2]! - R[1]![2]! * R[2]![1]!) - R[0]![1]! * (R[1]![0]! * R[2]![2]! - R[1]![2]! * R[2]![0]!) + R[0]![2]! * (R[1]![0]! * R[2]![1]! - R[1]![1]! * R[2]![0]!);
      expect(det).toBeCloseTo(1, 12);
      const c = worldToCamera(new Float64Array(6), [...eye, ...target], Rt);
      for (let k = 0; k < 3; k++) expect(c[k]).toBeCloseTo(0, 12);
      const dist = Math.hypot(target[0]! - eye[0]!, target[1]! - eye[1]!, target[2]! - eye[2]!);
      expect(c[3]).toBeCloseTo(0, 12);
      expect(c[4]).toBeCloseTo(0, 12);
      expect(c[5]).toBeCloseTo(dist, 12);
      // `up` maps to a direction with negative camera y (image up) and no camera x
      const upCam = [0, 1, 2].map((r) => R[r]![0]! * up[0] + R[r]![1]! * up[1] + R[r]![2]! * up[2]);
      expect(upCam[0]).toBeCloseTo(0, 12);
      expect(upCam[1]!).toBeLessThan(0);
    }
  });

  it('shows a face looking along +Z from the front: subject left (+X) on the image right, +Y up on the image top', () => {
    const camera: Camera = { K: intrinsics(1000, 512, 512), Rt: lookAtRt([0, 0, 1], [0, 0, 0], [0, 1, 0]), width: 512, height: 512 };
    const uv = projectPoints(new Float64Array(6), [0, 0, 0, 0.1, 0, 0, 0, 0.1, 0], camera);
    expect(Array.from(uv)).toEqual([256, 256, 356, 256, 256, 156]);
  });

  it('refuses an up vector along the viewing direction and a target at the eye', () => {
    expect(() => lookAtRt([0, 0, 1], [0, 0, 0], [0, 0, 2])).toThrow(/parallel/);
    expect(() => lookAtRt([1, 2, 3], [1, 2, 3], [0, 1, 0])).toThrow(/coincide/);
  });
});

describe('projection', () => {
  it('projects a point at camera (x, y, z) to K·(x, y, z)/z, with no half-pixel shift', () => {
    const camera: Camera = { K: new Float64Array([200, 0.5, 31, 0, 190, 23, 0, 0, 1]), Rt: new Float64Array([1, 0, 0, 0.1, 0, 1, 0, -0.2, 0, 0, 1, 1]), width: 64, height: 48 };
    const uv = projectPoints(new Float64Array(2), [0.2, 0.4, 1], camera);
    // camera point (0.3, 0.2, 2): u = (200·0.3 + 0.5·0.2 + 31·2)/2, v = (190·0.2 + 23·2)/2
    expect(uv[0]).toBeCloseTo((60 + 0.1 + 62) / 2, 12);
    expect(uv[1]).toBeCloseTo((38 + 46) / 2, 12);
  });

  it('agrees bit for bit with projectWithDepth, which the rasteriser uses (seed camera-proj-1)', () => {
    const rng = new Rng('camera-proj-1');
    const camera: Camera = { K: intrinsics(rng.uniform(100, 900), 320, 240), Rt: lookAtRt([rng.normal(), rng.normal(), 3], [0, 0, 0], [0, 1, 0]), width: 320, height: 240 };
    const points = rng.fillNormal(new Float64Array(300), 0.5);
    const a = projectPoints(new Float64Array(200), points, camera);
    const b = new Float64Array(200), z = new Float64Array(100);
    projectWithDepth(b, z, points, camera);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    const cam = worldToCamera(new Float64Array(300), points, camera.Rt);
    for (let i = 0; i < 100; i++) expect(z[i]).toBe(cam[3 * i + 2]);
  });

  it('transforms in place safely (out === points)', () => {
    const Rt = lookAtRt([1, 2, 3], [0, 0, 0], [0, 1, 0]);
    const points = new Float64Array([0.1, 0.2, 0.3, -1, 0.5, 2]);
    const expected = worldToCamera(new Float64Array(6), points, Rt);
    expect(Array.from(worldToCamera(points, points, Rt))).toEqual(Array.from(expected));
  });

  describe.skipIf(!numpy.available)('against numpy', () => {
    it('matches x = R·X + t, p = K·x, (u, v) = p[:2]/p[2] computed by numpy (seed camera-numpy-1)', () => {
      const rng = new Rng('camera-numpy-1');
      const K = new Float64Array([rng.uniform(100, 2000), rng.uniform(-1, 1), rng.uniform(0, 640), 0, rng.uniform(100, 2000), rng.uniform(0, 480), 0, 0, 1]);
      const Rt = lookAtRt([rng.normal(), rng.normal(), rng.normal() + 4], [rng.normal(0, 0.1), rng.normal(0, 0.1), 0], [rng.normal(0, 0.2), 1, 0]);
      const points = rng.fillNormal(new Float64Array(3 * 50), 0.3);
      const camera: Camera = { K, Rt, width: 640, height: 480 };
      const uv = projectPoints(new Float64Array(100), points, camera);
      const cam = worldToCamera(new Float64Array(150), points, Rt);
      const out = runPython(
        `import sys, json, numpy as np
d = json.loads(sys.argv[1])
K = np.array(d['K']).reshape(3, 3); Rt = np.array(d['Rt']).reshape(3, 4); X = np.array(d['X']).reshape(-1, 3)
x = X @ Rt[:, :3].T + Rt[:, 3]
p = x @ K.T
print(json.dumps({'cam': x.ravel().tolist(), 'uv': (p[:, :2] / p[:, 2:]).ravel().tolist()}))`,
        [JSON.stringify({ K: Array.from(K), Rt: Array.from(Rt), X: Array.from(points) })],
      );
      const ref = JSON.parse(out) as { cam: number[]; uv: number[] };
      for (let i = 0; i < 100; i++) expect(Math.abs(uv[i]! - ref.uv[i]!)).toBeLessThan(1e-9 * Math.max(1, Math.abs(ref.uv[i]!)));
      for (let i = 0; i < 150; i++) expect(Math.abs(cam[i]! - ref.cam[i]!)).toBeLessThan(1e-12);
    });
  });
});

describe('checkCamera', () => {
  it('names what is wrong', () => {
    const good: Camera = { K: intrinsics(100, 8, 8), Rt: lookAtRt([0, 0, 1], [0, 0, 0], [0, 1, 0]), width: 8, height: 8 };
    expect(() => checkCamera(good)).not.toThrow();
    expect(() => checkCamera({ ...good, K: new Float64Array([100, 0, 4, 0, 100, 4, 0, 0.1, 1]) })).toThrow(/last row must be \(0, 0, 1\), found \(0, 0.1, 1\)/);
    expect(() => checkCamera({ ...good, Rt: new Float64Array(9) })).toThrow(/Rt must have 12 elements.*found 9/);
    expect(() => checkCamera({ ...good, height: 2.5 })).toThrow(/8×2.5/);
    expect(() => checkCamera({ ...good, Rt: new Float64Array([1, 0, 0, NaN, 0, 1, 0, 0, 0, 0, 1, 0]) })).toThrow(/Rt\[3\] is NaN/);
  });
});
