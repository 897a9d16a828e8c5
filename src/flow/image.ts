/**
 * The images and flow fields of `src/flow`, their checks, and the grey conversion the classical
 * method works on.
 *
 * Pixel convention (DESIGN.md): pixel (i, j) — column i, row j — covers [i, i+1)×[j, j+1), so its
 * centre is (i + ½, j + ½). Arrays are row-major and interleaved, row 0 at the top.
 */

/** A grey or RGB image as floats. data: Float32Array [H*W*C], values in [0, 1]. */
export interface FlowImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Float32Array;
}

/**
 * Dense flow. data: Float32Array [H*W*2]: at index (j*W + i)*2 the displacement (dx, dy) in
 * pixels from the centre of image A's pixel (i, j) to the corresponding point in image B.
 */
export interface FlowField {
  width: number;
  height: number;
  data: Float32Array;
}

/** An empty flow field of a size: Float32Array [H*W*2] of zeros. */
export function createFlowField(width: number, height: number): FlowField {
  checkSize(width, height, 'createFlowField');
  return { width, height, data: new Float32Array(width * height * 2) };
}

function checkSize(width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`${what}: size ${width}×${height} is not a positive integer size`);
  }
}

/** Throws a RangeError naming `what` unless the image is well formed (size, channels, data length). */
export function checkFlowImage(image: FlowImage, what: string): void {
  checkSize(image.width, image.height, what);
  if (image.channels !== 1 && image.channels !== 3) {
    throw new RangeError(`${what}: ${String(image.channels)} channels, expected 1 or 3`);
  }
  if (!(image.data instanceof Float32Array)) throw new RangeError(`${what}: data must be a Float32Array`);
  const n = image.width * image.height * image.channels;
  if (image.data.length !== n) {
    throw new RangeError(`${what}: data length ${image.data.length}, expected ${image.width}×${image.height}×${image.channels} = ${n}`);
  }
}

/** Throws a RangeError naming `what` unless the flow field is well formed (size, data length). */
export function checkFlowField(flow: FlowField, what: string): void {
  checkSize(flow.width, flow.height, what);
  if (!(flow.data instanceof Float32Array)) throw new RangeError(`${what}: data must be a Float32Array`);
  const n = flow.width * flow.height * 2;
  if (flow.data.length !== n) {
    throw new RangeError(`${what}: data length ${flow.data.length}, expected ${flow.width}×${flow.height}×2 = ${n}`);
  }
}

/**
 * An 8-bit image as read by `readImage` (src/io/image.ts) to a FlowImage: values scaled to [0, 1];
 * grey stays grey, RGB stays RGB, RGBA drops its alpha.
 */
export function toFlowImage(image: { width: number; height: number; channels: number; data: Uint8Array }): FlowImage {
  const { width, height, channels, data } = image;
  checkSize(width, height, 'toFlowImage');
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`toFlowImage: ${channels} channels, expected 1, 3 or 4`);
  }
  const n = width * height;
  if (data.length !== n * channels) {
    throw new RangeError(`toFlowImage: data length ${data.length}, expected ${width}×${height}×${channels} = ${n * channels}`);
  }
  const s = 1 / 255;
  if (channels === 1) {
    const out = new Float32Array(n);
    for (let p = 0; p < n; p++) out[p] = data[p]! * s;
    return { width, height, channels: 1, data: out };
  }
  const out = new Float32Array(n * 3);
  for (let p = 0; p < n; p++) {
    const src = p * channels, dst = p * 3;
    out[dst] = data[src]! * s;
    out[dst + 1] = data[src + 1]! * s;
    out[dst + 2] = data[src + 2]! * s;
  }
  return { width, height, channels: 3, data: out };
}

/**
 * Grey values of an image: the image itself for one channel, Rec. 601 luma (0.299 R + 0.587 G +
 * 0.114 B) for RGB. Returns a new Float32Array [H*W]; throws a RangeError naming `what` and the
 * pixel when a value is NaN or infinite.
 */
export function greyOf(image: FlowImage, what: string): Float32Array {
  checkFlowImage(image, what);
  const n = image.width * image.height, d = image.data;
  const out = new Float32Array(n);
  if (image.channels === 1) {
    out.set(d);
  } else {
    for (let p = 0; p < n; p++) out[p] = 0.299 * d[3 * p]! + 0.587 * d[3 * p + 1]! + 0.114 * d[3 * p + 2]!;
  }
  for (let p = 0; p < n; p++) {
    if (!Number.isFinite(out[p]!)) {
      throw new RangeError(`${what}: pixel (${p % image.width}, ${Math.floor(p / image.width)}) is ${out[p]}`);
    }
  }
  return out;
}
