/**
 * Surface material of a view: the albedo (per-vertex colours or a texture, from the mesh) times a
 * tint, plus a white Blinn–Phong specular lobe. The shader's reflectance for light direction l,
 * view direction v and normal n (all unit, h = (l + v)/|l + v|):
 *
 *   f = ρ·tint/π + specular · (shininess + 8)/(8π) · (n·h)^shininess
 *
 * (the normalised Blinn–Phong lobe, so `specular` is roughly the fraction of light the lobe
 * reflects whatever the shininess). Under a light of `color` c (lights.ts units) at incidence
 * cos θ = n·l the pixel shows π·f·c·cos θ.
 */
import type { Rgb } from './lights.js';

export interface Material {
  /** tint: linear RGB factor applied to the albedo (skin-tone and exposure variation). */
  tint: Rgb;
  /** specular: strength of the Blinn–Phong lobe, ≥ 0; 0 = matte. */
  specular: number;
  /** shininess: Blinn–Phong exponent, ≥ 1 (higher = tighter highlight). */
  shininess: number;
}

export const MATERIAL_DEFAULTS: Readonly<Material> = { tint: [1, 1, 1], specular: 0, shininess: 32 };

/** Throws a RangeError unless the material's numbers are usable. */
export function checkMaterial(m: Material, where = 'material'): void {
  if (m.tint.length !== 3 || !m.tint.every((x) => Number.isFinite(x) && x >= 0)) throw new RangeError(`${where}: tint must be 3 finite numbers >= 0, found [${m.tint.join(', ')}]`);
  if (!(Number.isFinite(m.specular) && m.specular >= 0)) throw new RangeError(`${where}: specular must be >= 0, found ${m.specular}`);
  if (!(Number.isFinite(m.shininess) && m.shininess >= 1)) throw new RangeError(`${where}: shininess must be >= 1, found ${m.shininess}`);
}
