/**
 * Random views: cameras on the frontal hemisphere, lights, materials, backgrounds and built-in head
 * parameters, all drawn from the `Rng` passed in (the same seed gives the same view).
 *
 * Camera: the direction from the head towards the camera has yaw ∈ ±yawDeg about +Y (0 = in front of
 * the face, which looks along +Z) and pitch ∈ ±pitchDeg, the camera looks at the face centre with
 * world +Y up, then rolls by ±rollDeg about its axis. The lens is `focalMm` (full-frame equivalent)
 * and the distance makes the head's bounding sphere fill `fill` of the frame width:
 * d = radius · mm / (18 · fill). Wide lenses therefore come close and show strong perspective.
 * The final image is the face crop of this camera (ground-truth.ts), so only the perspective and the
 * viewing direction matter here, not the nominal image size.
 */
import type { Rng } from '../util/rng.js';
import { UsageError } from '../util/errors.js';
import type { FlameModel } from '../flame/model.js';
import { type Camera, focalFromFullFrameMm, intrinsics, lookAtRt } from './camera.js';
import { colorTemperature, type LightRig, type Rgb } from './lights.js';
import type { Material } from './material.js';

export type Range = [number, number];

export interface CameraSampling {
  /** Largest |yaw|, degrees. Default 90. */
  yawDeg?: number;
  /** Largest |pitch|, degrees. Default 45. */
  pitchDeg?: number;
  /** Largest |roll|, degrees. Default 25. */
  rollDeg?: number;
  /** Focal length range, mm full-frame equivalent. Default [20, 100]. */
  focalMm?: Range;
  /** Fraction of the frame width the head's bounding sphere fills. Default [0.55, 0.85]. */
  fill?: Range;
}

export const CAMERA_SAMPLING_DEFAULTS: Required<CameraSampling> = { yawDeg: 90, pitchDeg: 45, rollDeg: 25, focalMm: [20, 100], fill: [0.55, 0.85] };

/** Where the camera aims and how big the head is. */
export interface HeadBounds {
  /** center: world, metres (the face's bounding-box centre). */
  center: [number, number, number];
  /** radius: metres, of the sphere around `center` holding every vertex. */
  radius: number;
}

/** What a sampled camera is, for the record. */
export interface CameraDraw {
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
  focalMm: number;
  distance: number;
}

/** Bounding-box centre of `indices` (all vertices when absent) and the radius holding every vertex. positions: [V*3]. */
export function headBounds(positions: ArrayLike<number>, indices?: ArrayLike<number>): HeadBounds {
  const V = Math.floor(positions.length / 3);
  if (V === 0) throw new UsageError('headBounds: the mesh has no vertices');
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  const n = indices && indices.length > 0 ? indices.length : V;
  for (let k = 0; k < n; k++) {
    const i = indices && indices.length > 0 ? indices[k]! : k;
    for (let c = 0; c < 3; c++) {
      const x = positions[3 * i + c]!;
      if (x < lo[c]!) lo[c] = x;
      if (x > hi[c]!) hi[c] = x;
    }
  }
  const center: [number, number, number] = [(lo[0]! + hi[0]!) / 2, (lo[1]! + hi[1]!) / 2, (lo[2]! + hi[2]!) / 2];
  let r2 = 0;
  for (let i = 0; i < V; i++) {
    const dx = positions[3 * i]! - center[0], dy = positions[3 * i + 1]! - center[1], dz = positions[3 * i + 2]! - center[2];
    r2 = Math.max(r2, dx * dx + dy * dy + dz * dz);
  }
  const radius = Math.sqrt(r2);
  if (!(radius > 0 && Number.isFinite(radius))) throw new UsageError(`headBounds: the mesh has no extent (radius ${radius})`);
  return { center, radius };
}

/** A random camera (uncropped, `size`×`size`, principal point in the middle) and what was drawn. */
export function sampleCamera(rng: Rng, bounds: HeadBounds, size: number, options: CameraSampling = {}): { camera: Camera; draw: CameraDraw } {
  const o = { ...CAMERA_SAMPLING_DEFAULTS, ...options };
  const deg = Math.PI / 180;
  const yaw = rng.uniform(-o.yawDeg, o.yawDeg), pitch = rng.uniform(-o.pitchDeg, o.pitchDeg), roll = rng.uniform(-o.rollDeg, o.rollDeg);
  const mm = rng.uniform(o.focalMm[0], o.focalMm[1]), fill = rng.uniform(o.fill[0], o.fill[1]);
  if (!(mm > 0 && fill > 0)) throw new UsageError(`sampleCamera: focal length (${mm} mm) and fill (${fill}) must be > 0`);
  // never closer than just outside the bounding sphere
  const distance = Math.max(1.05 * bounds.radius, (bounds.radius * mm) / (18 * fill));
  const cy = Math.cos(pitch * deg), c = bounds.center;
  const eye = [c[0] + distance * Math.sin(yaw * deg) * cy, c[1] + distance * Math.sin(pitch * deg), c[2] + distance * Math.cos(yaw * deg) * cy];
  const Rt = lookAtRt(eye, c, [0, 1, 0]);
  // roll about the optical axis: [R | t] ← Rz·[R | t]
  const cr = Math.cos(roll * deg), sr = Math.sin(roll * deg);
  for (let col = 0; col < 4; col++) {
    const a = Rt[col]!, b = Rt[4 + col]!;
    Rt[col] = cr * a - sr * b;
    Rt[4 + col] = sr * a + cr * b;
  }
  return {
    camera: { K: intrinsics(focalFromFullFrameMm(mm, size), size, size), Rt, width: size, height: size },
    draw: { yawDeg: yaw, pitchDeg: pitch, rollDeg: roll, focalMm: mm, distance },
  };
}

export interface LightSampling {
  /** Ambient radiance range. Default [0.02, 0.2]. */
  ambient?: Range;
  /** Probability of an SH environment, and its radiance range. Defaults 0.6 and [0.05, 0.4]. */
  shProbability?: number;
  shStrength?: Range;
  /** Number of directional and of point lights (inclusive ranges); at least one light is always drawn. Defaults [0, 2] and [0, 2]. */
  directional?: Range;
  point?: Range;
  /** Light colour (what a facing white surface shows) range. Default [0.3, 1.2]. */
  intensity?: Range;
  /** Colour temperature range, kelvin. Default [2700, 7500]. */
  temperatureK?: Range;
  /** Distance of point lights from the head centre, metres. Default [0.4, 1.5]. */
  pointDistance?: Range;
  /** Largest camera-space z of the direction towards a light (−1 = from the camera, +1 = from behind the head). Default 0.3. */
  maxBackLight?: number;
}

export const LIGHT_SAMPLING_DEFAULTS: Required<LightSampling> = {
  ambient: [0.02, 0.2], shProbability: 0.6, shStrength: [0.05, 0.4], directional: [0, 2], point: [0, 2],
  intensity: [0.3, 1.2], temperatureK: [2700, 7500], pointDistance: [0.4, 1.5], maxBackLight: 0.3,
};

function intIn(rng: Rng, r: Range): number {
  return Math.floor(r[0]) + rng.int(Math.floor(r[1]) - Math.floor(r[0]) + 1);
}

/** A unit vector (camera frame) towards a light, on the camera's side of the head, turned into world: Rᵀ·v. */
function lightDirection(rng: Rng, Rt: Float64Array, maxZ: number): [number, number, number] {
  let v = rng.unitVector();
  for (let k = 0; k < 64 && v[2] > maxZ; k++) v = rng.unitVector();
  if (v[2] > maxZ) v = [v[0], v[1], -Math.abs(v[2])];
  return [Rt[0]! * v[0] + Rt[4]! * v[1] + Rt[8]! * v[2], Rt[1]! * v[0] + Rt[5]! * v[1] + Rt[9]! * v[2], Rt[2]! * v[0] + Rt[6]! * v[1] + Rt[10]! * v[2]];
}

function scaled(c: Rgb, s: number): Rgb {
  return [c[0] * s, c[1] * s, c[2] * s];
}

/** Random lights for a view through `camera` of a head at `bounds`. */
export function sampleLights(rng: Rng, camera: Camera, bounds: HeadBounds, options: LightSampling = {}): LightRig {
  const o = { ...LIGHT_SAMPLING_DEFAULTS, ...options };
  const temp = (): Rgb => colorTemperature(rng.uniform(o.temperatureK[0], o.temperatureK[1]));
  const rig: LightRig = { ambient: scaled(temp(), rng.uniform(o.ambient[0], o.ambient[1])), directional: [], point: [] };
  if (rng.chance(o.shProbability)) {
    // environment radiance: a constant, a linear gradient (a brighter side) and a little l = 2
    const base = rng.uniform(o.shStrength[0], o.shStrength[1]);
    const col = temp();
    const dir = lightDirection(rng, camera.Rt, o.maxBackLight);
    const grad = rng.uniform(0, 0.8), quad = rng.uniform(0, 0.25);
    const sh = new Float64Array(27);
    const q = [rng.normal(), rng.normal(), rng.normal(), rng.normal(), rng.normal()];
    for (let c = 0; c < 3; c++) {
      const L = base * col[c]!;
      sh[c] = Math.sqrt(4 * Math.PI) * L; // uniform radiance L
      // linear part: L·grad·(ω·dir) projects to (4π/3)·0.488603·L·grad·dir on (y, z, x)
      const g = ((4 * Math.PI) / 3) * 0.488603 * L * grad;
      sh[3 + c] = g * dir[1]; sh[6 + c] = g * dir[2]; sh[9 + c] = g * dir[0];
      for (let k = 0; k < 5; k++) sh[12 + 3 * k + c] = L * quad * q[k]!;
    }
    rig.sh = sh;
  }
  let nd = intIn(rng, o.directional), np = intIn(rng, o.point);
  if (nd + np === 0) { if (rng.chance(0.5)) nd = 1; else np = 1; }
  for (let k = 0; k < nd; k++) {
    const toLight = lightDirection(rng, camera.Rt, o.maxBackLight);
    rig.directional.push({ direction: [-toLight[0], -toLight[1], -toLight[2]], color: scaled(temp(), rng.uniform(o.intensity[0], o.intensity[1])) });
  }
  for (let k = 0; k < np; k++) {
    const toLight = lightDirection(rng, camera.Rt, o.maxBackLight);
    const d = Math.max(1.2 * bounds.radius, rng.uniform(o.pointDistance[0], o.pointDistance[1]));
    const c = bounds.center;
    // colour scaled by d² so the head receives about `intensity`
    rig.point.push({ position: [c[0] + d * toLight[0], c[1] + d * toLight[1], c[2] + d * toLight[2]], color: scaled(temp(), rng.uniform(o.intensity[0], o.intensity[1]) * d * d) });
  }
  return rig;
}

export interface MaterialSampling {
  /** Overall exposure factor of the albedo. Default [0.6, 1.4]. */
  exposure?: Range;
  /** Standard deviation of the per-channel tint around 1. Default 0.06. */
  hueJitter?: number;
  /** Specular strength range. Default [0, 0.15]. */
  specular?: Range;
  /** Shininess range (drawn log-uniformly). Default [4, 80]. */
  shininess?: Range;
}

export const MATERIAL_SAMPLING_DEFAULTS: Required<MaterialSampling> = { exposure: [0.6, 1.4], hueJitter: 0.06, specular: [0, 0.15], shininess: [4, 80] };

export function sampleMaterial(rng: Rng, options: MaterialSampling = {}): Material {
  const o = { ...MATERIAL_SAMPLING_DEFAULTS, ...options };
  const e = rng.uniform(o.exposure[0], o.exposure[1]);
  const tint: Rgb = [0, 0, 0];
  for (let c = 0; c < 3; c++) tint[c] = Math.max(0, e * (1 + rng.normal(0, o.hueJitter)));
  const shininess = Math.exp(rng.uniform(Math.log(o.shininess[0]), Math.log(o.shininess[1])));
  return { tint, specular: rng.uniform(o.specular[0], o.specular[1]), shininess: Math.max(1, shininess) };
}

/** A random background colour, linear RGB (augmentation usually replaces it). */
export function sampleBackground(rng: Rng): Rgb {
  const v = rng.uniform(0.01, 0.5);
  return [v * rng.uniform(0.7, 1.3), v * rng.uniform(0.7, 1.3), v * rng.uniform(0.7, 1.3)];
}

export interface HeadSampling {
  /** Standard deviation of the identity coefficients β (N(0, 1) is the model's own spread). Default 1. */
  shapeStd?: number;
  /** Standard deviation of the expression coefficients ψ, and how many are drawn. Defaults 1 and 50. */
  exprStd?: number;
  exprComponents?: number;
  /** Largest jaw opening, radians. Default 0.35. */
  jawMax?: number;
  /** Standard deviation of the neck rotation (per axis) and of the gaze, radians. Defaults 0.12 and 0.15. */
  neckStd?: number;
  gazeStd?: number;
}

export const HEAD_SAMPLING_DEFAULTS: Required<HeadSampling> = { shapeStd: 1, exprStd: 1, exprComponents: 50, jawMax: 0.35, neckStd: 0.12, gazeStd: 0.15 };

/** Random FLAME parameters (lbs.ts FlameParams: shape [S], expr [E], pose [15]): identity, expression, jaw, neck and gaze (no global rotation: the camera moves). */
export function sampleHeadParams(rng: Rng, model: FlameModel, options: HeadSampling = {}): { shape: Float64Array; expr: Float64Array; pose: Float64Array } {
  const o = { ...HEAD_SAMPLING_DEFAULTS, ...options };
  const shape = new Float64Array(model.numShape);
  for (let k = 0; k < shape.length; k++) shape[k] = rng.normal(0, o.shapeStd);
  const expr = new Float64Array(model.numExpr);
  const E = Math.min(model.numExpr, o.exprComponents);
  for (let k = 0; k < E; k++) expr[k] = rng.normal(0, o.exprStd);
  const pose = new Float64Array(15);
  for (let k = 3; k < 6; k++) pose[k] = rng.normal(0, o.neckStd);
  const u = rng.next();
  pose[6] = o.jawMax * u * u; // mostly small openings
  const gx = rng.normal(0, o.gazeStd), gy = rng.normal(0, o.gazeStd);
  pose[9] = gx; pose[10] = gy; pose[12] = gx; pose[13] = gy;
  return { shape, expr, pose };
}
