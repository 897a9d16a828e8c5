import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { builtinModel } from '../../src/flame/index.js';
import { projectPoints } from '../../src/render/camera.js';
import { headBounds, sampleCamera, sampleHeadParams, sampleLights, sampleMaterial } from '../../src/render/sampling.js';

const deg = 180 / Math.PI;

describe('sampleCamera (seed sampling-camera-1)', () => {
  const bounds = { center: [0.01, 0.02, 0.05] as [number, number, number], radius: 0.15 };

  it('looks at the face from the frontal hemisphere within the yaw, pitch and roll limits, at the stated distance', () => {
    const rng = new Rng('sampling-camera-1');
    const opts = { yawDeg: 60, pitchDeg: 30, rollDeg: 10, focalMm: [30, 80] as [number, number], fill: [0.6, 0.8] as [number, number] };
    let maxYaw = 0, maxPitch = 0;
    for (let k = 0; k < 300; k++) {
      const { camera, draw } = sampleCamera(rng, bounds, 256, opts);
      const R = camera.Rt;
      // camera centre C = −Rᵀt and its direction from the face centre
      const C = [0, 1, 2].map((c) => -(R[c]! * R[3]! + R[4 + c]! * R[7]! + R[8 + c]! * R[11]!));
      const d = C.map((x, c) => x - bounds.center[c]!);
      const dist = Math.hypot(d[0]!, d[1]!, d[2]!);
      expect(dist).toBeCloseTo(draw.distance, 9);
      const yaw = Math.atan2(d[0]!, d[2]!) * deg, pitch = Math.asin(d[1]! / dist) * deg;
      expect(yaw).toBeCloseTo(draw.yawDeg, 6);
      expect(pitch).toBeCloseTo(draw.pitchDeg, 6);
      expect(Math.abs(yaw)).toBeLessThanOrEqual(60);
      expect(Math.abs(pitch)).toBeLessThanOrEqual(30);
      maxYaw = Math.max(maxYaw, Math.abs(yaw));
      maxPitch = Math.max(maxPitch, Math.abs(pitch));
      expect(draw.focalMm).toBeGreaterThanOrEqual(30);
      expect(draw.focalMm).toBeLessThanOrEqual(80);
      // the face centre projects to the principal point (the roll is about the optical axis)
      const xy = projectPoints(new Float64Array(2), bounds.center, camera);
      expect(xy[0]).toBeCloseTo(128, 6);
      expect(xy[1]).toBeCloseTo(128, 6);
      // roll: the angle between world up projected in the image and the image's −y
      const up = projectPoints(new Float64Array(2), [bounds.center[0], bounds.center[1] + 1e-3, bounds.center[2]], camera);
      const roll = Math.atan2(up[0]! - 128, -(up[1]! - 128)) * deg;
      if (Math.abs(pitch) < 25) expect(Math.abs(roll)).toBeLessThanOrEqual(10 + 25 * Math.abs(Math.sin(pitch / deg)) + 1e-6);
      // the head's bounding sphere fills `fill` of the frame: 2·r·f/d / W
      const fill = (2 * bounds.radius * camera.K[0]!) / draw.distance / 256;
      expect(fill).toBeGreaterThanOrEqual(0.6 - 1e-9);
      expect(fill).toBeLessThanOrEqual(0.8 + 1e-9);
    }
    expect(maxYaw).toBeGreaterThan(50); // the range is used
    expect(maxPitch).toBeGreaterThan(25);
  });

  it('is deterministic in the seed', () => {
    const a = sampleCamera(new Rng(7), bounds, 512), b = sampleCamera(new Rng(7), bounds, 512), c = sampleCamera(new Rng(8), bounds, 512);
    expect(a.camera.Rt).toEqual(b.camera.Rt);
    expect(a.camera.K).toEqual(b.camera.K);
    expect(a.camera.Rt).not.toEqual(c.camera.Rt);
  });

  it('headBounds: box centre of the chosen vertices and the radius holding all', () => {
    const p = [0, 0, 0, 2, 0, 0, 0, 4, 0, 10, 0, 0];
    const b = headBounds(p, [0, 1, 2]);
    expect(b.center).toEqual([1, 2, 0]);
    expect(b.radius).toBeCloseTo(9.219544457, 8); // distance to (10, 0, 0)
    expect(() => headBounds([1, 1, 1, 1, 1, 1])).toThrow(/no extent/);
  });
});

describe('sampleLights and sampleMaterial (seed sampling-lights-1)', () => {
  it('draws at least one light, on the camera side, within the ranges', () => {
    const rng = new Rng('sampling-lights-1');
    const bounds = { center: [0, 0, 0] as [number, number, number], radius: 0.15 };
    let sh = 0, counts = 0;
    for (let k = 0; k < 200; k++) {
      const { camera } = sampleCamera(rng, bounds, 256);
      const rig = sampleLights(rng, camera, bounds);
      expect(rig.directional.length + rig.point.length).toBeGreaterThanOrEqual(1);
      expect(rig.directional.length).toBeLessThanOrEqual(2);
      expect(rig.point.length).toBeLessThanOrEqual(2);
      counts += rig.directional.length + rig.point.length;
      if (rig.sh) { sh++; expect(rig.sh.length).toBe(27); }
      const R = camera.Rt;
      for (const l of rig.directional) {
        // towards the light, in camera coordinates: z <= 0.3 (from the camera's side)
        const d = l.direction, n = Math.hypot(...d);
        const zc = -(R[8]! * d[0] + R[9]! * d[1] + R[10]! * d[2]) / n;
        expect(zc).toBeLessThanOrEqual(0.3 + 1e-12);
        const lum = 0.2126 * l.color[0] + 0.7152 * l.color[1] + 0.0722 * l.color[2]; // colour temperatures have luminance 1
        expect(lum).toBeGreaterThanOrEqual(0.3 - 1e-9);
        expect(lum).toBeLessThanOrEqual(1.2 + 1e-9);
      }
      for (const l of rig.point) {
        const d = Math.hypot(...l.position);
        expect(d).toBeGreaterThanOrEqual(0.4 - 1e-9);
        expect(d).toBeLessThanOrEqual(1.5 + 1e-9);
      }
      const amb = 0.2126 * rig.ambient[0] + 0.7152 * rig.ambient[1] + 0.0722 * rig.ambient[2];
      expect(amb).toBeGreaterThanOrEqual(0.02 - 1e-9);
      expect(amb).toBeLessThanOrEqual(0.2 + 1e-9);
    }
    expect(sh).toBeGreaterThan(80);
    expect(sh).toBeLessThan(160);
    expect(counts / 200).toBeGreaterThan(1.5);
    const m = sampleMaterial(rng);
    expect(m.shininess).toBeGreaterThanOrEqual(4);
    expect(m.shininess).toBeLessThanOrEqual(80);
    expect(m.specular).toBeLessThanOrEqual(0.15);
  });
});

describe('sampleHeadParams', () => {
  it('draws identity, expression, jaw, neck and gaze only', async () => {
    const model = await builtinModel();
    const p = sampleHeadParams(new Rng('sampling-head-1'), model);
    expect(p.shape.length).toBe(model.numShape);
    expect(p.expr.length).toBe(model.numExpr);
    expect(Array.from(p.expr.subarray(50)).every((x) => x === 0)).toBe(true);
    expect(Array.from(p.pose.subarray(0, 3))).toEqual([0, 0, 0]); // no global rotation: the camera moves
    expect(p.pose[6]).toBeGreaterThanOrEqual(0);
    expect(p.pose[6]).toBeLessThanOrEqual(0.35);
    expect([p.pose[7], p.pose[8]]).toEqual([0, 0]);
    expect([p.pose[12], p.pose[13]]).toEqual([p.pose[9], p.pose[10]]); // both eyes look the same way
    const q = sampleHeadParams(new Rng('sampling-head-1'), model);
    expect(q.shape).toEqual(p.shape);
  });
});
