/**
 * One rendered view of any triangle mesh: rasterise (rasterize.ts), then shade every covered pixel
 * and fill the requested maps. Works for FLAME heads with per-vertex colours, textured scans (OBJ +
 * MTL + image) and plain grey meshes alike.
 *
 * Shading, per pixel, in linear RGB (units in lights.ts and material.ts):
 *   n   = interpolated vertex normal, renormalised, turned to the side of the triangle the camera sees
 *         (two-sided lighting; the side is that of the geometric face normal)
 *   ρ   = albedo (texture through the UVs, else per-vertex colour, else DEFAULT_ALBEDO) · tint
 *   out = ρ · (ambient + max(0, E_sh(n))/π + Σ_lights c_l·max(0, n·l)/d_l²)
 *       + specular · (s + 8)/8 · Σ_lights c_l·max(0, n·l)/d_l² · (n·h_l)^s
 * with d_l = 1 for directional lights; then sRGB-encoded to floats in [0, 1] (Sample.image).
 *
 * `diffuse: 'vertex'` evaluates the diffuse terms at the vertices instead (for the side the camera
 * sees) and interpolates them; the specular lobe stays per pixel.
 *
 * Performance, measured (Node 20, one core of a shared 2-core machine, so ±20%; 512×512 face crop of
 * the built-in head, 80% of the pixels covered, SH + 2 directional + 1 point light, specular 0.2):
 *   per pixel with Math.pow for (n·h)^s: 52 ms a frame (rasterise 6 ms of it); without specular 27,
 *   without the point light 22, ambient only 13 — the per-pixel light loop (square roots, pow) is it.
 *   (n·h)^s from a 2048-entry table per material (relative error < 1e-4), skipped below 1e-4: 32 ms.
 *   diffuse per vertex ('vertex', what render-sample.ts uses for meshes with fewer vertices than a
 *   quarter of the pixels): 26 ms, 14 ms without specular; side by side the images differ only at
 *   the eyelids. Tried and dropped: culling the specular per triangle from per-vertex n·h bounds
 *   (identical images, no measurable gain over 30 random views, 21–23 ms both ways).
 *   sRGB encoding: a 4096-entry table with linear interpolation (error < 2e-5) instead of pow().
 */
import { computeVertexNormals } from '../io/mesh.js';
import { UsageError } from '../util/errors.js';
import { checkCamera, type Camera } from './camera.js';
import { checkLightRig, shIrradianceMatrices, type LightRig, type Rgb } from './lights.js';
import { checkMaterial, type Material } from './material.js';
import { rasterize, type RasterBuffers } from './rasterize.js';
import { DEFAULT_ALBEDO } from './shade.js';
import { sampleTexture, type Texture } from './texture.js';

/** Per-pixel maps a view can carry besides the image and the mask. */
export type MapName = 'depth' | 'mask' | 'normal' | 'uv' | 'triangle';
export const MAP_NAMES: readonly MapName[] = ['depth', 'mask', 'normal', 'uv', 'triangle'];

/** A mesh to render. Arrays are shared, never modified. */
export interface RenderMesh {
  /** positions: Float64Array [V*3], world, metres. */
  positions: Float64Array;
  /** faces: Uint32Array [F*3], counter-clockwise seen from outside. */
  faces: Uint32Array;
  /** normals: [V*3] unit vertex normals, world; computed (area-weighted) when absent. */
  normals?: ArrayLike<number>;
  /** colors: [V*3] linear albedo in [0, 1]. */
  colors?: ArrayLike<number>;
  /** uvs: Float32Array [U*2] (v up) and faceUvs: Uint32Array [F*3]; needed by `texture` and the uv map. */
  uvs?: Float32Array;
  faceUvs?: Uint32Array;
  /** texture: linear albedo looked up through the UVs (takes precedence over `colors`). */
  texture?: Texture;
}

export interface RenderViewOptions {
  /** Maps to return besides image and mask. Default none. */
  maps?: readonly MapName[];
  /** Background colour, linear RGB. Default black. */
  background?: Rgb;
  /** Background image, sRGB-encoded floats [H*W*3] in [0, 1] (as Sample.image); overrides `background`. */
  backgroundImage?: Float32Array;
  /** Drop triangles seen from behind. Default false (open meshes show their inside). */
  cullBackFaces?: boolean;
  /** Near plane, metres (rasterize.ts). Default 1e-3. */
  near?: number;
  /** Raster buffers to reuse (camera-sized). */
  raster?: RasterBuffers;
  /**
   * Where the diffuse irradiance (ambient, SH, the lights' n·l terms) is evaluated: 'pixel' (Phong
   * shading), or 'vertex' (Gouraud: at the vertices, for the side the camera sees, interpolated;
   * faster, a little flatter on coarse meshes). The specular lobe is always per pixel.
   */
  diffuse?: 'pixel' | 'vertex';
}

export const RENDER_VIEW_DEFAULTS = { diffuse: 'pixel' as 'pixel' | 'vertex' };

export interface RenderedView {
  width: number;
  height: number;
  /** image: Float32Array [H*W*3], sRGB-encoded in [0, 1]. */
  image: Float32Array;
  /** mask: Uint8Array [H*W], 1 where the mesh covers the pixel centre. */
  mask: Uint8Array;
  /** depth: Float32Array [H*W], camera z, metres, Infinity on background. */
  depth?: Float32Array;
  /** normal: Float32Array [H*W*3], unit camera-space normals facing the camera, 0 on background. */
  normal?: Float32Array;
  /** uv: Float32Array [H*W*2], (u, v) with v up, NaN on background. */
  uv?: Float32Array;
  /** triangle: Int32Array [H*W], face index, −1 on background. */
  triangle?: Int32Array;
  /** The raster (shared with `options.raster` when given). */
  raster: RasterBuffers;
}

// sRGB encoding of floats: a table of encode(i/N) with linear interpolation; exact below 0.0031308
// (the linear segment spans more than one table step there, and lerp of a line is the line).
const ENC_N = 4096;
const ENC = new Float64Array(ENC_N + 2);
for (let i = 0; i <= ENC_N + 1; i++) {
  const v = Math.min(1, i / ENC_N);
  ENC[i] = v <= 0.0031308 ? 12.92 * v : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
}

/** Linear → sRGB-encoded float in [0, 1] (clamped; NaN → 0), within 2e-5 of the exact transfer function. */
export function linearToSrgbFloat(v: number): number {
  if (!(v > 0)) return 0;
  if (v >= 1) return 1;
  const x = v * ENC_N, i = Math.floor(x), f = x - i;
  return ENC[i]! + f * (ENC[i + 1]! - ENC[i]!);
}

/** sRGB-encoded value → linear (IEC 61966-2-1). */
export function srgbToLinear(s: number): number {
  return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
}

// scratch, module scope; grows, never shrinks
let _normals = new Float64Array(0);
let _side = new Int8Array(0);
let _eFront = new Float64Array(0);
let _eBack = new Float64Array(0);
const _albedo = new Float64Array(3);
const _sh = new Float64Array(48);
const POW_N = 2048;
const _pow = new Float64Array(POW_N + 2);

/**
 * Renders `mesh` through `camera` under `lights` with `material`. See the file header for the
 * shading model. Throws a UsageError for a texture or uv map without UVs.
 */
export function renderView(mesh: RenderMesh, camera: Camera, lights: LightRig, material: Material, options: RenderViewOptions = {}): RenderedView {
  checkCamera(camera, 'renderView');
  checkLightRig(lights, 'renderView lights');
  checkMaterial(material, 'renderView material');
  const { positions, faces } = mesh;
  const V = positions.length / 3, F = faces.length / 3;
  const maps = new Set(options.maps ?? []);
  const hasUv = mesh.uvs !== undefined && mesh.faceUvs !== undefined;
  if ((mesh.texture || maps.has('uv')) && !hasUv) {
    throw new UsageError(`renderView: ${mesh.texture ? 'a texture' : 'the uv map'} needs the mesh's UVs (uvs and faceUvs), which it does not have`);
  }
  if (hasUv && mesh.faceUvs!.length !== faces.length) throw new RangeError(`renderView: faceUvs has ${mesh.faceUvs!.length} entries, faces ${faces.length}`);
  if (hasUv) {
    const U = mesh.uvs!.length / 2;
    for (let i = 0; i < mesh.faceUvs!.length; i++) if (mesh.faceUvs![i]! >= U) throw new RangeError(`renderView: face ${Math.floor(i / 3)} corner ${i % 3} refers to uv ${mesh.faceUvs![i]}, but there are ${U}`);
  }
  if (mesh.colors !== undefined && mesh.colors.length !== 3 * V) throw new RangeError(`renderView: colors have ${mesh.colors.length} elements, expected ${3 * V}`);
  if (mesh.normals !== undefined && mesh.normals.length !== 3 * V) throw new RangeError(`renderView: normals have ${mesh.normals.length} elements, expected ${3 * V}`);
  const W = camera.width, H = camera.height, N = W * H;
  if (options.backgroundImage !== undefined && options.backgroundImage.length !== 3 * N) {
    throw new RangeError(`renderView: backgroundImage has ${options.backgroundImage.length} elements, expected ${W}×${H}×3`);
  }

  // 1. rasterise (checks the face indices)
  const raster = rasterize(positions, faces, camera, { cullBackFaces: options.cullBackFaces ?? false, near: options.near ?? 1e-3, ...(options.raster ? { out: options.raster } : {}) });

  // 2. per-mesh set-up: normals, the side of every face the camera sees, lights
  let normals: ArrayLike<number>;
  if (mesh.normals) normals = mesh.normals;
  else {
    if (_normals.length < 3 * V) _normals = new Float64Array(3 * V);
    normals = computeVertexNormals(_normals.subarray(0, 3 * V), positions, faces);
  }
  const Rt = camera.Rt;
  const r00 = Rt[0]!, r01 = Rt[1]!, r02 = Rt[2]!, r10 = Rt[4]!, r11 = Rt[5]!, r12 = Rt[6]!, r20 = Rt[8]!, r21 = Rt[9]!, r22 = Rt[10]!;
  // camera centre in world: C = −Rᵀ t
  const ccx = -(r00 * Rt[3]! + r10 * Rt[7]! + r20 * Rt[11]!);
  const ccy = -(r01 * Rt[3]! + r11 * Rt[7]! + r21 * Rt[11]!);
  const ccz = -(r02 * Rt[3]! + r12 * Rt[7]! + r22 * Rt[11]!);
  if (_side.length < F) _side = new Int8Array(F);
  const side = _side;
  for (let f = 0; f < F; f++) {
    const a = 3 * faces[3 * f]!, b = 3 * faces[3 * f + 1]!, c = 3 * faces[3 * f + 2]!;
    const ax = positions[a]!, ay = positions[a + 1]!, az = positions[a + 2]!;
    const ux = positions[b]! - ax, uy = positions[b + 1]! - ay, uz = positions[b + 2]! - az;
    const vx = positions[c]! - ax, vy = positions[c + 1]! - ay, vz = positions[c + 2]! - az;
    const gx = uy * vz - uz * vy, gy = uz * vx - ux * vz, gz = ux * vy - uy * vx;
    side[f] = gx * (ccx - ax) + gy * (ccy - ay) + gz * (ccz - az) < 0 ? -1 : 1;
  }
  // lights as flat arrays: kind 0 = directional (unit vector towards the light), 1 = point (position)
  const L = lights.directional.length + lights.point.length;
  const lkind = new Uint8Array(L), lvec = new Float64Array(3 * L), lcol = new Float64Array(3 * L);
  let k = 0;
  for (const l of lights.directional) {
    const len = Math.hypot(l.direction[0], l.direction[1], l.direction[2]);
    lvec[3 * k] = -l.direction[0] / len; lvec[3 * k + 1] = -l.direction[1] / len; lvec[3 * k + 2] = -l.direction[2] / len;
    lcol.set(l.color, 3 * k); k++;
  }
  for (const l of lights.point) {
    lkind[k] = 1;
    lvec.set(l.position, 3 * k); lcol.set(l.color, 3 * k); k++;
  }
  const hasSh = lights.sh !== undefined;
  if (hasSh) {
    shIrradianceMatrices(lights.sh!, _sh);
    for (let i = 0; i < 48; i++) _sh[i]! /= Math.PI;
  }
  const M = _sh;
  const [ambR, ambG, ambB] = lights.ambient;
  const [tR, tG, tB] = material.tint;
  const ks = material.specular, shin = material.shininess;
  const specNorm = ks * (shin + 8) / 8;
  // (n·h)^s < 1e-4 contributes nothing visible: skip it below this n·h; above, a table of
  // specNorm·(n·h)^s over [hMin, 1] with linear interpolation (relative error < 1e-4)
  const hMin = Math.pow(1e-4, 1 / shin);
  if (ks > 0) {
    for (let i = 0; i <= POW_N + 1; i++) _pow[i] = specNorm * Math.pow(Math.min(1, hMin + ((1 - hMin) * i) / POW_N), shin);
  }
  const powScale = POW_N / (1 - hMin);
  const powTable = _pow;
  const texture = mesh.texture, colors = mesh.colors, uvs = mesh.uvs, faceUvs = mesh.faceUvs;

  // 3. outputs
  const image = new Float32Array(3 * N);
  const mask = new Uint8Array(N);
  const normalMap = maps.has('normal') ? new Float32Array(3 * N) : undefined;
  const uvMap = maps.has('uv') ? new Float32Array(2 * N).fill(NaN) : undefined;
  const bgImage = options.backgroundImage;
  const bg = options.background ?? [0, 0, 0];
  const bgR = linearToSrgbFloat(bg[0]), bgG = linearToSrgbFloat(bg[1]), bgB = linearToSrgbFloat(bg[2]);
  const tri = raster.triangle, bary = raster.bary;
  const albedo = _albedo;

  // per-vertex irradiance of both sides (diffuse = 'vertex'): E(±n_v) at each vertex
  const vertexDiffuse = (options.diffuse ?? RENDER_VIEW_DEFAULTS.diffuse) === 'vertex';
  if (vertexDiffuse) {
    if (_eFront.length < 3 * V) { _eFront = new Float64Array(3 * V); _eBack = new Float64Array(3 * V); }
    for (let v = 0; v < V; v++) {
      const o = 3 * v;
      const nx = normals[o]!, ny = normals[o + 1]!, nz = normals[o + 2]!;
      const px = positions[o]!, py = positions[o + 1]!, pz = positions[o + 2]!;
      for (let sgn = 1; sgn >= -1; sgn -= 2) {
        const out = sgn > 0 ? _eFront : _eBack;
        const mx = sgn * nx, my = sgn * ny, mz = sgn * nz;
        let eR = ambR, eG = ambG, eB = ambB;
        if (hasSh && (mx !== 0 || my !== 0 || mz !== 0)) {
          const xx = mx * mx, yy = my * my, zz = mz * mz, xy = 2 * mx * my, xz = 2 * mx * mz, yz = 2 * my * mz, x2 = 2 * mx, y2 = 2 * my, z2 = 2 * mz;
          const shR = M[0]! * xx + M[5]! * yy + M[10]! * zz + M[15]! + M[1]! * xy + M[2]! * xz + M[6]! * yz + M[3]! * x2 + M[7]! * y2 + M[11]! * z2;
          const shG = M[16]! * xx + M[21]! * yy + M[26]! * zz + M[31]! + M[17]! * xy + M[18]! * xz + M[22]! * yz + M[19]! * x2 + M[23]! * y2 + M[27]! * z2;
          const shB = M[32]! * xx + M[37]! * yy + M[42]! * zz + M[47]! + M[33]! * xy + M[34]! * xz + M[38]! * yz + M[35]! * x2 + M[39]! * y2 + M[43]! * z2;
          if (shR > 0) eR += shR;
          if (shG > 0) eG += shG;
          if (shB > 0) eB += shB;
        }
        for (let l = 0; l < L; l++) {
          let lx = lvec[3 * l]!, ly = lvec[3 * l + 1]!, lz = lvec[3 * l + 2]!, atten = 1;
          if (lkind[l] === 1) {
            lx -= px; ly -= py; lz -= pz;
            const d2 = lx * lx + ly * ly + lz * lz;
            if (!(d2 > 0)) continue;
            const inv = 1 / Math.sqrt(d2);
            lx *= inv; ly *= inv; lz *= inv;
            atten = 1 / d2;
          }
          const cos = mx * lx + my * ly + mz * lz;
          if (!(cos > 0)) continue;
          const w = cos * atten;
          eR += lcol[3 * l]! * w; eG += lcol[3 * l + 1]! * w; eB += lcol[3 * l + 2]! * w;
        }
        out[o] = eR; out[o + 1] = eG; out[o + 2] = eB;
      }
    }
  }
  const eFront = _eFront, eBack = _eBack;
  const needPosition = (ks > 0 && L > 0) || (!vertexDiffuse && lights.point.length > 0);

  for (let p = 0; p < N; p++) {
    const t = tri[p]!;
    const o3 = 3 * p;
    if (t < 0) {
      if (bgImage) { image[o3] = bgImage[o3]!; image[o3 + 1] = bgImage[o3 + 1]!; image[o3 + 2] = bgImage[o3 + 2]!; }
      else { image[o3] = bgR; image[o3 + 1] = bgG; image[o3 + 2] = bgB; }
      continue;
    }
    mask[p] = 1;
    const b0 = bary[o3]!, b1 = bary[o3 + 1]!, b2 = bary[o3 + 2]!;
    const a = 3 * faces[3 * t]!, b = 3 * faces[3 * t + 1]!, c = 3 * faces[3 * t + 2]!;
    const lightLoop = L > 0 && (!vertexDiffuse || ks > 0);
    // shading normal, on the camera's side
    let nx = 0, ny = 0, nz = 0;
    if (lightLoop || !vertexDiffuse || normalMap) {
      nx = b0 * normals[a]! + b1 * normals[b]! + b2 * normals[c]!;
      ny = b0 * normals[a + 1]! + b1 * normals[b + 1]! + b2 * normals[c + 1]!;
      nz = b0 * normals[a + 2]! + b1 * normals[b + 2]! + b2 * normals[c + 2]!;
      let len = Math.sqrt(nx * nx + ny * ny + nz * nz);
      if (!(len > 0)) {
        // degenerate interpolated normal: the geometric one
        const ax = positions[a]!, ay = positions[a + 1]!, az = positions[a + 2]!;
        const ux = positions[b]! - ax, uy = positions[b + 1]! - ay, uz = positions[b + 2]! - az;
        const vx = positions[c]! - ax, vy = positions[c + 1]! - ay, vz = positions[c + 2]! - az;
        nx = uy * vz - uz * vy; ny = uz * vx - ux * vz; nz = ux * vy - uy * vx;
        len = Math.sqrt(nx * nx + ny * ny + nz * nz);
      }
      const s = len > 0 ? side[t]! / len : 0;
      nx *= s; ny *= s; nz *= s;
    }
    // albedo
    if (texture || uvMap) {
      const ta = 2 * faceUvs![3 * t]!, tb = 2 * faceUvs![3 * t + 1]!, tc = 2 * faceUvs![3 * t + 2]!;
      const u = b0 * uvs![ta]! + b1 * uvs![tb]! + b2 * uvs![tc]!;
      const v = b0 * uvs![ta + 1]! + b1 * uvs![tb + 1]! + b2 * uvs![tc + 1]!;
      if (uvMap) { uvMap[2 * p] = u; uvMap[2 * p + 1] = v; }
      if (texture) sampleTexture(albedo, 0, texture, u, v);
    }
    let ar: number, ag: number, ab: number;
    if (texture) {
      ar = albedo[0]!; ag = albedo[1]!; ab = albedo[2]!;
    } else if (colors) {
      ar = b0 * colors[a]! + b1 * colors[b]! + b2 * colors[c]!;
      ag = b0 * colors[a + 1]! + b1 * colors[b + 1]! + b2 * colors[c + 1]!;
      ab = b0 * colors[a + 2]! + b1 * colors[b + 2]! + b2 * colors[c + 2]!;
    } else {
      ar = DEFAULT_ALBEDO; ag = DEFAULT_ALBEDO; ab = DEFAULT_ALBEDO;
    }
    let px = 0, py = 0, pz = 0;
    if (needPosition && lightLoop) {
      px = b0 * positions[a]! + b1 * positions[b]! + b2 * positions[c]!;
      py = b0 * positions[a + 1]! + b1 * positions[b + 1]! + b2 * positions[c + 1]!;
      pz = b0 * positions[a + 2]! + b1 * positions[b + 2]! + b2 * positions[c + 2]!;
    }
    // diffuse irradiance
    let eR: number, eG: number, eB: number;
    if (vertexDiffuse) {
      const E = side[t]! > 0 ? eFront : eBack;
      eR = b0 * E[a]! + b1 * E[b]! + b2 * E[c]!;
      eG = b0 * E[a + 1]! + b1 * E[b + 1]! + b2 * E[c + 1]!;
      eB = b0 * E[a + 2]! + b1 * E[b + 2]! + b2 * E[c + 2]!;
    } else {
      eR = ambR; eG = ambG; eB = ambB;
      if (hasSh) {
        // E_c = nᵀ M_c n with n = (x, y, z, 1), M symmetric (an order-2 environment can dip below zero: clamped)
        const xx = nx * nx, yy = ny * ny, zz = nz * nz, xy = 2 * nx * ny, xz = 2 * nx * nz, yz = 2 * ny * nz;
        const x2 = 2 * nx, y2 = 2 * ny, z2 = 2 * nz;
        const shR = M[0]! * xx + M[5]! * yy + M[10]! * zz + M[15]! + M[1]! * xy + M[2]! * xz + M[6]! * yz + M[3]! * x2 + M[7]! * y2 + M[11]! * z2;
        const shG = M[16]! * xx + M[21]! * yy + M[26]! * zz + M[31]! + M[17]! * xy + M[18]! * xz + M[22]! * yz + M[19]! * x2 + M[23]! * y2 + M[27]! * z2;
        const shB = M[32]! * xx + M[37]! * yy + M[42]! * zz + M[47]! + M[33]! * xy + M[34]! * xz + M[38]! * yz + M[35]! * x2 + M[39]! * y2 + M[43]! * z2;
        if (shR > 0) eR += shR;
        if (shG > 0) eG += shG;
        if (shB > 0) eB += shB;
      }
    }
    // lights: the diffuse part per pixel (diffuse = 'pixel'), the specular lobe always per pixel
    let sR = 0, sG = 0, sB = 0;
    if (lightLoop) {
      let vx = 0, vy = 0, vz = 0;
      if (ks > 0) {
        vx = ccx - px; vy = ccy - py; vz = ccz - pz;
        const vl = Math.sqrt(vx * vx + vy * vy + vz * vz);
        if (vl > 0) { const iv = 1 / vl; vx *= iv; vy *= iv; vz *= iv; }
      }
      for (let l = 0; l < L; l++) {
        let lx = lvec[3 * l]!, ly = lvec[3 * l + 1]!, lz = lvec[3 * l + 2]!, atten = 1;
        if (lkind[l] === 1) {
          lx -= px; ly -= py; lz -= pz;
          const d2 = lx * lx + ly * ly + lz * lz;
          if (!(d2 > 0)) continue;
          const inv = 1 / Math.sqrt(d2);
          lx *= inv; ly *= inv; lz *= inv;
          atten = 1 / d2;
        }
        const cos = nx * lx + ny * ly + nz * lz;
        if (!(cos > 0)) continue;
        const w = cos * atten;
        const cr = lcol[3 * l]! * w, cg = lcol[3 * l + 1]! * w, cb = lcol[3 * l + 2]! * w;
        if (!vertexDiffuse) { eR += cr; eG += cg; eB += cb; }
        if (ks > 0) {
          const hx = lx + vx, hy = ly + vy, hz = lz + vz;
          const hl = Math.sqrt(hx * hx + hy * hy + hz * hz);
          if (hl > 0) {
            const nh = (nx * hx + ny * hy + nz * hz) / hl;
            if (nh > hMin) {
              const x = (nh - hMin) * powScale, i = x | 0;
              const spec = i >= POW_N ? powTable[POW_N]! : powTable[i]! + (x - i) * (powTable[i + 1]! - powTable[i]!);
              sR += cr * spec; sG += cg * spec; sB += cb * spec;
            }
          }
        }
      }
    }
    image[o3] = linearToSrgbFloat(ar * tR * eR + sR);
    image[o3 + 1] = linearToSrgbFloat(ag * tG * eG + sG);
    image[o3 + 2] = linearToSrgbFloat(ab * tB * eB + sB);
    if (normalMap) {
      normalMap[o3] = r00 * nx + r01 * ny + r02 * nz + 0; // + 0: no −0 in the map
      normalMap[o3 + 1] = r10 * nx + r11 * ny + r12 * nz + 0;
      normalMap[o3 + 2] = r20 * nx + r21 * ny + r22 * nz + 0;
    }
  }

  const view: RenderedView = { width: W, height: H, image, mask, raster };
  if (maps.has('depth')) view.depth = Float32Array.from(raster.depth);
  if (normalMap) view.normal = normalMap;
  if (uvMap) view.uv = uvMap;
  if (maps.has('triangle')) view.triangle = Int32Array.from(raster.triangle);
  return view;
}
