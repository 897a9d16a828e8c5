/**
 * Landmarks for an expression scan, carried from the subject's registered neutral by optical flow
 * between frontal photos (issue 5, section 3):
 *
 * 1. points: the neutral's landmarks as registered (the embedding's points on the fitted neutral,
 *    which lie on its scan) plus model vertices pre-selected over the face (`propagationVertices`);
 * 2. the frontal view: the view valid for both scans whose camera looks most squarely at the
 *    neutral face (its mean normal);
 * 3. each point visible in that view (a ray from the camera reaches it before any other part of
 *    the neutral scan) is projected with the view's calibration (distortion applied: the photos
 *    are distorted images);
 * 4. dense flow neutral → expression photo (and back, for the forward-backward check), on a crop
 *    around the face; points whose forward-backward error exceeds `maxFlowError` are dropped;
 * 5. the carried pixel is lifted onto the expression scan: the undistorted ray of the expression's
 *    camera, intersected with the scan (BVH ray cast); a ray that misses, meets the scan from
 *    behind (through a hole) or lands farther than `maxMotionMm` from the neutral point drops it.
 * Returns the reliable points as registration landmark targets, counts of what was dropped and
 * why, and a picture of the carried points on the expression photo (for review).
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import type { FlameModel, BarycentricLandmarks } from '../flame/model.js';
import { landmarkPositions } from '../flame/landmarks.js';
import { readImage, type Image } from '../io/image.js';
import { computeVertexNormals } from '../io/mesh.js';
import { FormatError } from '../util/errors.js';
import { computeFlow, forwardBackwardError, sampleFlow, type FlowField, type FlowImage } from '../flow/index.js';
import { readFacescapeParams, cameraForward, projectDistorted, pixelRay, cameraCentre, type ViewCamera } from './facescape-cameras.js';
import type { ScanSurface } from './scan-surface.js';
import type { LandmarkTargets } from './register-scan.js';

/** A dense flow method (classical by default, or an ONNX model). */
export type FlowMethod = (a: FlowImage, b: FlowImage) => Promise<FlowField>;

export const classicalFlow: FlowMethod = async (a, b) => computeFlow(a, b);

export interface PropagationOptions {
  /** Forward-backward error above which a carried point is dropped, pixels (default 1). */
  maxFlowError?: number;
  /** Visibility: the ray may hit the scan this far in front of the point, mm (default 1.5). */
  visibilityMm?: number;
  /** Crop margin around the projected points, fraction of the box size (default 0.15). */
  margin?: number;
  /** A lifted point farther than this from its neutral position is dropped, mm (default 30): the ray went through a hole. */
  maxMotionMm?: number;
}

export interface PropagationInput {
  model: FlameModel;
  /** The neutral registration [V*3] (neutral scan frame and units) and its scan surface (same frame). */
  neutralVertices: Float64Array;
  neutralSurface: ScanSurface;
  /** The embedding of the neutral's landmarks (those present). */
  landmarks: Pick<BarycentricLandmarks, 'faceIdx' | 'bary'>;
  /** Model vertices also carried (see `propagationVertices`). */
  vertices: Uint32Array;
  /** Folders with `params.json` and `{view}.jpg` of the neutral and the expression. */
  neutralDir: string;
  expressionDir: string;
  expressionSurface: ScanSurface;
  /** Scan units per millimetre. */
  unitsPerMm: number;
  flow: FlowMethod;
}

export interface PropagationResult {
  targets: LandmarkTargets;
  /** Of the carried points: how many came from the neutral's landmarks (the first ones in targets). */
  fromLandmarks: number;
  view: number;
  counts: { candidates: number; hidden: number; flowRejected: number; missed: number; reliable: number; landmarksReliable: number; landmarks: number };
  /** The expression's frontal photo with the carried points: green kept, red dropped. */
  picture: Image;
  flowSeconds: number;
}

/** About `count` face vertices spread evenly (farthest-point order over the mean head), for propagation. */
export function propagationVertices(model: FlameModel, count = 150): Uint32Array {
  const r = model.regions;
  const pool = new Set<number>();
  for (const name of ['face', 'forehead', 'nose', 'lips']) for (const i of r[name] ?? []) pool.add(i);
  for (const name of ['left_eyeball', 'right_eyeball', 'boundary']) for (const i of r[name] ?? []) pool.delete(i);
  const used = new Uint8Array(model.numVertices);
  for (const f of model.faces) used[f] = 1;
  const cand = [...pool].filter((i) => used[i]).sort((a, b) => a - b);
  if (!cand.length) return new Uint32Array(0);
  const P = model.vTemplate, n = Math.min(count, cand.length);
  const dist = new Float64Array(cand.length).fill(Infinity);
  const out: number[] = [];
  let next = 0;
  for (let k = 0; k < n; k++) {
    const i = cand[next]!;
    out.push(i);
    let best = -1, far = -1;
    cand.forEach((j, m) => {
      const d = Math.hypot(P[3 * j]! - P[3 * i]!, P[3 * j + 1]! - P[3 * i + 1]!, P[3 * j + 2]! - P[3 * i + 2]!);
      if (d < dist[m]!) dist[m] = d;
      if (dist[m]! > far) { far = dist[m]!; best = m; }
    });
    next = best;
  }
  return Uint32Array.from(out).sort();
}

/** A face of the model containing vertex i, and the one-hot barycentric weights that select it. */
function vertexAsBarycentric(faces: Uint32Array, i: number): { face: number; bary: [number, number, number] } {
  for (let f = 0; f < faces.length / 3; f++) {
    for (let c = 0; c < 3; c++) if (faces[3 * f + c] === i) return { face: f, bary: [c === 0 ? 1 : 0, c === 1 ? 1 : 0, c === 2 ? 1 : 0] };
  }
  throw new RangeError(`vertex ${i} belongs to no triangle`);
}

/** The valid-in-both view that looks most squarely at the face (mean normal `n`, centre `c`). */
function frontalView(neutral: ViewCamera[], expression: ViewCamera[], c: number[], n: number[]): number {
  let best = -1, bestScore = -Infinity;
  for (const v of neutral) {
    const e = expression.find((x) => x.view === v.view);
    if (!v.valid || !e || !e.valid) continue;
    const f = cameraForward(v), p = projectDistorted(v, c[0]!, c[1]!, c[2]!);
    if (!(p.depth > 0) || p.u < 0 || p.v < 0 || p.u > v.width || p.v > v.height) continue;
    const score = -(f[0] * n[0]! + f[1] * n[1]! + f[2] * n[2]!);
    if (score > bestScore) { bestScore = score; best = v.view; }
  }
  return best;
}

function photoPath(dir: string, view: number): string {
  for (const ext of ['.jpg', '.jpeg', '.png']) {
    const p = join(dir, `${view}${ext}`);
    if (existsSync(p)) return p;
  }
  throw new FormatError(join(dir, `${view}.jpg`), undefined, 'photo of the frontal view not found');
}

/** Grey float crop [x0, x0+w) × [y0, y0+h) of an 8-bit image. */
function greyCrop(img: Image, x0: number, y0: number, w: number, h: number): FlowImage {
  const data = new Float32Array(w * h), C = img.channels;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = ((y0 + y) * img.width + x0 + x) * C;
      data[y * w + x] = C >= 3 ? (0.299 * img.data[o]! + 0.587 * img.data[o + 1]! + 0.114 * img.data[o + 2]!) / 255 : img.data[o]! / 255;
    }
  }
  return { width: w, height: h, channels: 1, data };
}

export async function propagateLandmarks(input: PropagationInput, options: PropagationOptions = {}): Promise<PropagationResult> {
  const { model } = input;
  const maxErr = options.maxFlowError ?? 1, vis = (options.visibilityMm ?? 1.5) * input.unitsPerMm;
  const maxMotion = (options.maxMotionMm ?? 30) * input.unitsPerMm;
  const neutralCams = readFacescapeParams(join(input.neutralDir, 'params.json'));
  const exprCams = readFacescapeParams(join(input.expressionDir, 'params.json'));
  // the points on the neutral: landmarks, then vertices
  const lmk = landmarkPositions(input.neutralVertices, model.faces, input.landmarks);
  const L = input.landmarks.faceIdx.length, n = L + input.vertices.length;
  const pts = new Float64Array(3 * n);
  pts.set(lmk);
  input.vertices.forEach((i, k) => pts.set(input.neutralVertices.subarray(3 * i, 3 * i + 3), 3 * (L + k)));
  // face centre and mean normal of the neutral registration
  const normals = computeVertexNormals(new Float64Array(input.neutralVertices.length), input.neutralVertices, model.faces);
  const c = [0, 0, 0], nm = [0, 0, 0];
  for (const i of model.regions.face ?? input.vertices) for (let a = 0; a < 3; a++) { c[a]! += input.neutralVertices[3 * i + a]!; nm[a]! += normals[3 * i + a]!; }
  const cn = Math.hypot(nm[0]!, nm[1]!, nm[2]!), cc = model.regions.face?.length ?? input.vertices.length;
  for (let a = 0; a < 3; a++) { c[a]! /= cc; nm[a]! /= cn; }
  const view = frontalView(neutralCams, exprCams, c, nm);
  if (view < 0) throw new FormatError(join(input.neutralDir, 'params.json'), undefined, 'no view is valid in both the neutral and the expression and sees the face');
  const camN = neutralCams.find((x) => x.view === view)!, camE = exprCams.find((x) => x.view === view)!;
  // visibility and projection in the neutral view
  const px = new Float64Array(2 * n).fill(NaN);
  const status = new Uint8Array(n); // 0 candidate, 1 hidden, 2 flow rejected, 3 missed, 4 kept
  const origin = cameraCentre(camN);
  for (let k = 0; k < n; k++) {
    const X = pts[3 * k]!, Y = pts[3 * k + 1]!, Z = pts[3 * k + 2]!;
    const d = [X - origin[0], Y - origin[1], Z - origin[2]], len = Math.hypot(d[0]!, d[1]!, d[2]!);
    const hit = input.neutralSurface.raycast(origin, d);
    if (hit && Math.hypot(hit[0] - origin[0], hit[1] - origin[1], hit[2] - origin[2]) < len - vis) { status[k] = 1; continue; }
    const p = projectDistorted(camN, X, Y, Z);
    if (!(p.depth > 0) || p.u < 0 || p.v < 0 || p.u > camN.width || p.v > camN.height) { status[k] = 1; continue; }
    px[2 * k] = p.u; px[2 * k + 1] = p.v;
  }
  // the crop: the projected points' box with a margin, clipped to both images
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let k = 0; k < n; k++) if (status[k] === 0) { x0 = Math.min(x0, px[2 * k]!); x1 = Math.max(x1, px[2 * k]!); y0 = Math.min(y0, px[2 * k + 1]!); y1 = Math.max(y1, px[2 * k + 1]!); }
  const imgN = await readImage(photoPath(input.neutralDir, view)), imgE = await readImage(photoPath(input.expressionDir, view));
  if (imgN.width !== imgE.width || imgN.height !== imgE.height) throw new FormatError(photoPath(input.expressionDir, view), undefined, `photo is ${imgE.width}×${imgE.height}, the neutral's is ${imgN.width}×${imgN.height}`);
  const m = options.margin ?? 0.15;
  const mx = (x1 - x0) * m + 16, my = (y1 - y0) * m + 16;
  const cx0 = Math.max(0, Math.floor(x0 - mx)), cy0 = Math.max(0, Math.floor(y0 - my));
  const cx1 = Math.min(imgN.width, Math.ceil(x1 + mx)), cy1 = Math.min(imgN.height, Math.ceil(y1 + my));
  const counts = { candidates: n, hidden: 0, flowRejected: 0, missed: 0, reliable: 0, landmarksReliable: 0, landmarks: L };
  const carried = new Float64Array(2 * n).fill(NaN);
  let flowSeconds = 0;
  if (cx1 - cx0 >= 16 && cy1 - cy0 >= 16) {
    const a = greyCrop(imgN, cx0, cy0, cx1 - cx0, cy1 - cy0), b = greyCrop(imgE, cx0, cy0, cx1 - cx0, cy1 - cy0);
    const t0 = performance.now();
    const fwd = await input.flow(a, b), bwd = await input.flow(b, a);
    flowSeconds = (performance.now() - t0) / 1000;
    for (let k = 0; k < n; k++) {
      if (status[k] !== 0) continue;
      const x = px[2 * k]! - cx0, y = px[2 * k + 1]! - cy0;
      const err = forwardBackwardError(fwd, bwd, x, y);
      if (!(err <= maxErr)) { status[k] = 2; continue; }
      const [dx, dy] = sampleFlow(fwd, x, y);
      carried[2 * k] = px[2 * k]! + dx; carried[2 * k + 1] = px[2 * k + 1]! + dy;
    }
  } else for (let k = 0; k < n; k++) if (status[k] === 0) status[k] = 2;
  // lift onto the expression scan
  const faceIdx: number[] = [], bary: number[] = [], points: number[] = [];
  let fromLandmarks = 0;
  for (let k = 0; k < n; k++) {
    if (status[k] !== 0) continue;
    const ray = pixelRay(camE, carried[2 * k]!, carried[2 * k + 1]!);
    const hit = input.expressionSurface.raycast(ray.origin, ray.direction);
    // a miss, a surface seen from behind (through a hole) or a jump no expression makes
    if (!hit || input.expressionSurface.faceNormalDot(hit[3], ray.direction) > 0
      || Math.hypot(hit[0] - pts[3 * k]!, hit[1] - pts[3 * k + 1]!, hit[2] - pts[3 * k + 2]!) > maxMotion) { status[k] = 3; continue; }
    status[k] = 4;
    points.push(hit[0], hit[1], hit[2]);
    if (k < L) {
      faceIdx.push(input.landmarks.faceIdx[k]!);
      for (let c2 = 0; c2 < 3; c2++) bary.push(input.landmarks.bary[3 * k + c2]!);
      fromLandmarks++;
    } else {
      const vb = vertexAsBarycentric(model.faces, input.vertices[k - L]!);
      faceIdx.push(vb.face); bary.push(...vb.bary);
    }
  }
  for (let k = 0; k < n; k++) {
    if (status[k] === 1) counts.hidden++;
    else if (status[k] === 2) counts.flowRejected++;
    else if (status[k] === 3) counts.missed++;
    else if (status[k] === 4) { counts.reliable++; if (k < L) counts.landmarksReliable++; }
  }
  const picture = drawPoints(imgE, px, carried, status);
  return {
    targets: { embedding: { faceIdx: Uint32Array.from(faceIdx), bary: Float64Array.from(bary) }, points: Float64Array.from(points) },
    fromLandmarks, view, counts, picture, flowSeconds,
  };
}

/** The photo (RGB) with kept points green (carried position) and dropped ones red (neutral position). */
function drawPoints(img: Image, from: Float64Array, to: Float64Array, status: Uint8Array): Image {
  const W = img.width, H = img.height, out = new Uint8Array(W * H * 3);
  for (let p = 0; p < W * H; p++) for (let c = 0; c < 3; c++) out[3 * p + c] = img.data[p * img.channels + Math.min(c, img.channels - 1)]!;
  const r = Math.max(2, Math.round(W / 300));
  const mark = (x: number, y: number, rgb: [number, number, number]) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const cx = Math.floor(x), cy = Math.floor(y);
    for (let j = cy - r; j <= cy + r; j++) for (let i = cx - r; i <= cx + r; i++) {
      if (i < 0 || j < 0 || i >= W || j >= H) continue;
      const o = 3 * (j * W + i);
      out[o] = rgb[0]; out[o + 1] = rgb[1]; out[o + 2] = rgb[2];
    }
  };
  for (let k = 0; k < status.length; k++) {
    if (status[k] === 4) mark(to[2 * k]!, to[2 * k + 1]!, [40, 220, 60]);
    else if (status[k] === 2 || status[k] === 3) mark(from[2 * k]!, from[2 * k + 1]!, [230, 40, 40]);
  }
  return { width: W, height: H, channels: 3, data: out };
}
