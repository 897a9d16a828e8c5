/**
 * Attributes carried through the rasteriser's perspective-correct barycentrics: per-vertex
 * attributes (indexed through `faces`) and per-corner attributes with their own index buffer
 * (UVs through `ft`, so a UV seam keeps each side's own UVs).
 */
import type { RasterBuffers } from './rasterize.js';

function check(name: string, out: Float32Array, raster: RasterBuffers, attribute: ArrayLike<number>, index: Uint32Array, D: number): void {
  if (!Number.isInteger(D) || D < 1) throw new RangeError(`${name}: D must be a positive integer, found ${D}`);
  const n = raster.width * raster.height;
  if (out.length !== n * D) throw new RangeError(`${name}: out has ${out.length} elements, expected ${raster.width}×${raster.height}×${D} = ${n * D}`);
  if (attribute.length % D !== 0) throw new RangeError(`${name}: attribute length ${attribute.length} is not a multiple of D = ${D}`);
  const count = attribute.length / D;
  for (let i = 0; i < index.length; i++) {
    if (index[i]! >= count) {
      throw new RangeError(`${name}: face ${Math.floor(i / 3)} corner ${i % 3} refers to attribute ${index[i]}, but there are ${count}`);
    }
  }
}

function interpolate(out: Float32Array, raster: RasterBuffers, attribute: ArrayLike<number>, index: Uint32Array, D: number): Float32Array {
  const tri = raster.triangle, bary = raster.bary, n = raster.width * raster.height;
  const F = Math.floor(index.length / 3);
  for (let p = 0; p < n; p++) {
    const t = tri[p]!, o = p * D;
    if (t < 0) {
      for (let d = 0; d < D; d++) out[o + d] = 0;
      continue;
    }
    if (t >= F) throw new RangeError(`interpolate: pixel ${p} shows triangle ${t}, but the index buffer has ${F} faces`);
    const b0 = bary[3 * p]!, b1 = bary[3 * p + 1]!, b2 = bary[3 * p + 2]!;
    const v0 = index[3 * t]! * D, v1 = index[3 * t + 1]! * D, v2 = index[3 * t + 2]! * D;
    for (let d = 0; d < D; d++) out[o + d] = b0 * attribute[v0 + d]! + b1 * attribute[v1 + d]! + b2 * attribute[v2 + d]!;
  }
  return out;
}

/**
 * Per-vertex attribute at every pixel. attribute: [V*D]; faces: Uint32Array [F*3] (the faces that
 * were rasterised); out: Float32Array [H*W*D], background pixels set to 0.
 */
export function interpolateAttribute(out: Float32Array, raster: RasterBuffers, attribute: ArrayLike<number>, faces: Uint32Array, D: number): Float32Array {
  check('interpolateAttribute', out, raster, attribute, faces, D);
  return interpolate(out, raster, attribute, faces, D);
}

/**
 * Per-corner attribute at every pixel. attribute: [U*D]; cornerIndex: Uint32Array [F*3], the
 * attribute index of each face corner (e.g. OBJ `ft` for UVs); out: Float32Array [H*W*D],
 * background pixels set to 0.
 */
export function interpolateCornerAttribute(out: Float32Array, raster: RasterBuffers, attribute: ArrayLike<number>, cornerIndex: Uint32Array, D: number): Float32Array {
  check('interpolateCornerAttribute', out, raster, attribute, cornerIndex, D);
  return interpolate(out, raster, attribute, cornerIndex, D);
}
