/**
 * Optical flow from a RAFT-style ONNX model (onnxruntime CPU): two image inputs [1, 3, H, W]
 * (RGB, float32, 0–255), one flow output [1, 2, H, W] (dx, dy in pixels, from the first image to
 * the second). A model with dynamic H and W gets the images padded (edge-replicated, split evenly
 * on both sides) to a multiple of 8 as RAFT needs, and the flow cropped back; a model with fixed
 * H and W gets the images resized to that size (bilinear) and the flow resized back, its
 * components scaled by the size ratios.
 */
import { readFile } from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { FormatError, UsageError, messageOf } from '../util/errors.js';
import { checkFlowImage, type FlowField, type FlowImage } from './image.js';

/** A flow model: the flow from a to b (same size). */
export type FlowModel = (a: FlowImage, b: FlowImage) => Promise<FlowField>;

type Dim = number | string;

interface Plan {
  inputs: [string, string];
  /** Fixed model size, or null for dynamic (pad to a multiple of 8). */
  fixed: { width: number; height: number } | null;
  /** Outputs that may hold the flow (rank 4, 2 channels, float32), in graph order. */
  flowOutputs: string[];
}

function describe(meta: ort.InferenceSession.ValueMetadata): string {
  if (!meta.isTensor) return `'${meta.name}' (not a tensor)`;
  return `'${meta.name}' ${meta.type} [${meta.shape.map((d) => (typeof d === 'number' ? String(d) : d || '?')).join(', ')}]`;
}

const EXPECTED = "two float32 inputs [1, 3, H, W] (e.g. 'image1', 'image2': RGB 0–255) and an output [1, 2, H, W] (e.g. 'flow')";

/** Checks the model's inputs and outputs against the RAFT interface; returns how to run it. */
function planFor(path: string, session: ort.InferenceSession): Plan {
  const ins = session.inputMetadata, outs = session.outputMetadata;
  const found = `found inputs ${ins.map(describe).join(', ') || 'none'}; outputs ${outs.map(describe).join(', ') || 'none'}`;
  const fail = (problem: string): never => {
    throw new FormatError(path, undefined, `not a RAFT-style flow model: ${problem}; expected ${EXPECTED}; ${found}`);
  };
  if (ins.length !== 2) fail(`${ins.length} input${ins.length === 1 ? '' : 's'}`);
  let fixed: Plan['fixed'] = null;
  for (const [k, m] of ins.entries()) {
    if (!m.isTensor) return fail(`input '${m.name}' is not a tensor`);
    if (m.type !== 'float32') fail(`input '${m.name}' is ${m.type}`);
    const s = m.shape as readonly Dim[];
    if (s.length !== 4) fail(`input '${m.name}' has rank ${s.length}`);
    if (typeof s[0] === 'number' && s[0] !== 1) fail(`input '${m.name}' has batch ${s[0]}`);
    if (typeof s[1] === 'number' && s[1] !== 3) fail(`input '${m.name}' has ${s[1]} channels`);
    const h = s[2], w = s[3];
    const size = typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? { width: w, height: h } : null;
    if (k === 0) fixed = size;
    else if ((fixed === null) !== (size === null) || (fixed && size && (fixed.width !== size.width || fixed.height !== size.height))) {
      fail('the two inputs differ in size');
    }
  }
  const flowOutputs: string[] = [];
  for (const m of outs) {
    if (!m.isTensor || m.type !== 'float32') continue;
    const s = m.shape as readonly Dim[];
    if (s.length === 4 && (typeof s[1] !== 'number' || s[1] === 2)) flowOutputs.push(m.name);
  }
  if (flowOutputs.length === 0) fail('no float32 output of shape [1, 2, H, W]');
  return { inputs: [ins[0]!.name, ins[1]!.name], fixed, flowOutputs };
}

/**
 * Loads a RAFT-style ONNX flow model. Errors name the file: a missing or unreadable file is a
 * UsageError; a file that is not an ONNX model, or whose inputs and outputs do not match the
 * interface above, is a FormatError listing the expected and the found names and shapes.
 * Sizes are checked again at run time (the flow output must come back at the input size).
 */
export async function loadFlowModel(path: string): Promise<FlowModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`flow model '${path}': cannot read: ${messageOf(error)}`, { cause: error });
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', executionMode: 'sequential' });
  } catch (error) {
    throw new FormatError(path, undefined, `not a loadable ONNX model: ${messageOf(error)}`, { cause: error });
  }
  const plan = planFor(path, session);

  return async (a: FlowImage, b: FlowImage): Promise<FlowField> => {
    checkFlowImage(a, `flow model '${path}': image a`);
    checkFlowImage(b, `flow model '${path}': image b`);
    if (a.width !== b.width || a.height !== b.height) {
      throw new RangeError(`flow model '${path}': images differ in size: a is ${a.width}×${a.height}, b is ${b.width}×${b.height}`);
    }
    const W = a.width, H = a.height;
    // 1. the model's input size, and where the image sits in it
    let mw: number, mh: number, left = 0, top = 0;
    if (plan.fixed) { mw = plan.fixed.width; mh = plan.fixed.height; }
    else {
      mw = Math.ceil(W / 8) * 8; mh = Math.ceil(H / 8) * 8;
      left = (mw - W) >> 1; top = (mh - H) >> 1;
    }
    const toTensor = (img: FlowImage): ort.Tensor => {
      const planar = plan.fixed ? resizeToPlanar(img, mw, mh) : padToPlanar(img, mw, mh, left, top);
      return new ort.Tensor('float32', planar, [1, 3, mh, mw]);
    };
    // 2. run
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await session.run({ [plan.inputs[0]]: toTensor(a), [plan.inputs[1]]: toTensor(b) });
    } catch (error) {
      throw new FormatError(path, undefined, `running the model on a ${mw}×${mh} pair failed: ${messageOf(error)}`, { cause: error });
    }
    // 3. the flow output at the input size (the last such output: RAFT lists its final estimate last)
    let flow: ort.Tensor | undefined;
    const shapes: string[] = [];
    for (const name of plan.flowOutputs) {
      const t = out[name];
      if (!t) continue;
      const d = t.dims;
      shapes.push(`'${name}' [${d.join(', ')}]`);
      if (d.length === 4 && d[0] === 1 && d[1] === 2 && d[2] === mh && d[3] === mw) flow = t;
    }
    if (!flow) {
      throw new FormatError(path, undefined, `no output of shape [1, 2, ${mh}, ${mw}] (the input size); found ${shapes.join(', ')}`);
    }
    const data = flow.data as Float32Array;
    // 4. back to the image: crop, or resize and rescale
    return plan.fixed ? resizeFlowBack(data, mw, mh, W, H) : cropFlow(data, mw, mh, left, top, W, H);
  };
}

/** RGB 0–255 of pixel p of an image (grey replicated), into out[0..2]. */
function rgb255(img: FlowImage, p: number, out: Float64Array): void {
  const d = img.data;
  if (img.channels === 1) { const v = d[p]! * 255; out[0] = v; out[1] = v; out[2] = v; }
  else { out[0] = d[3 * p]! * 255; out[1] = d[3 * p + 1]! * 255; out[2] = d[3 * p + 2]! * 255; }
}

const _rgb = new Float64Array(3);

/** The image padded by edge replication into a planar [3, mh, mw] array, 0–255, its pixel (0, 0) at (left, top). */
function padToPlanar(img: FlowImage, mw: number, mh: number, left: number, top: number): Float32Array {
  const W = img.width, H = img.height, plane = mw * mh;
  const out = new Float32Array(3 * plane);
  for (let y = 0; y < mh; y++) {
    let sy = y - top; sy = sy < 0 ? 0 : sy >= H ? H - 1 : sy;
    for (let x = 0; x < mw; x++) {
      let sx = x - left; sx = sx < 0 ? 0 : sx >= W ? W - 1 : sx;
      rgb255(img, sy * W + sx, _rgb);
      const o = y * mw + x;
      out[o] = _rgb[0]!; out[plane + o] = _rgb[1]!; out[2 * plane + o] = _rgb[2]!;
    }
  }
  return out;
}

interface Taps { i0: Int32Array; i1: Int32Array; f: Float64Array }

/**
 * Bilinear taps for resampling an axis of `from` pixels to `to` pixels, pixel centres aligned:
 * output centre (i + ½) sits at (i + ½)·from/to in the input; borders replicate.
 */
function taps(to: number, from: number): Taps {
  const t: Taps = { i0: new Int32Array(to), i1: new Int32Array(to), f: new Float64Array(to) };
  for (let i = 0; i < to; i++) {
    const s = ((i + 0.5) * from) / to - 0.5;
    const i0 = Math.floor(s);
    t.f[i] = s - i0;
    t.i0[i] = i0 < 0 ? 0 : i0 > from - 1 ? from - 1 : i0;
    t.i1[i] = i0 + 1 < 0 ? 0 : i0 + 1 > from - 1 ? from - 1 : i0 + 1;
  }
  return t;
}

/**
 * The image resized (bilinear between pixel centres: output centre (i + ½)·W/mw in the input)
 * into a planar [3, mh, mw] array, 0–255. Shrinking by more than 2 aliases; a fixed-size model far
 * smaller than the photo is better served by resizing the photo first.
 */
function resizeToPlanar(img: FlowImage, mw: number, mh: number): Float32Array {
  const W = img.width, H = img.height, plane = mw * mh;
  const out = new Float32Array(3 * plane);
  const c00 = new Float64Array(3), c01 = new Float64Array(3), c10 = new Float64Array(3), c11 = new Float64Array(3);
  const tx = taps(mw, W), ty = taps(mh, H);
  for (let y = 0; y < mh; y++) {
    const y0 = ty.i0[y]!, y1 = ty.i1[y]!, fy = ty.f[y]!;
    for (let x = 0; x < mw; x++) {
      const x0 = tx.i0[x]!, x1 = tx.i1[x]!, fx = tx.f[x]!;
      rgb255(img, y0 * W + x0, c00); rgb255(img, y0 * W + x1, c01); rgb255(img, y1 * W + x0, c10); rgb255(img, y1 * W + x1, c11);
      const o = y * mw + x;
      for (let c = 0; c < 3; c++) {
        out[c * plane + o] = (1 - fy) * ((1 - fx) * c00[c]! + fx * c01[c]!) + fy * ((1 - fx) * c10[c]! + fx * c11[c]!);
      }
    }
  }
  return out;
}

/** Planar flow [2, mh, mw] cropped at (left, top) to W×H, interleaved. */
function cropFlow(data: Float32Array, mw: number, mh: number, left: number, top: number, W: number, H: number): FlowField {
  const plane = mw * mh, out = new Float32Array(W * H * 2);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (y + top) * mw + (x + left), o = 2 * (y * W + x);
      out[o] = data[s]!;
      out[o + 1] = data[plane + s]!;
    }
  }
  return { width: W, height: H, data: out };
}

/** Planar flow [2, mh, mw] of the resized pair resized back to W×H (bilinear), dx scaled by W/mw and dy by H/mh. */
function resizeFlowBack(data: Float32Array, mw: number, mh: number, W: number, H: number): FlowField {
  const plane = mw * mh, out = new Float32Array(W * H * 2);
  const sx = W / mw, sy = H / mh;
  const tx = taps(W, mw), ty = taps(H, mh);
  for (let y = 0; y < H; y++) {
    const y0 = ty.i0[y]!, y1 = ty.i1[y]!, fy = ty.f[y]!;
    for (let x = 0; x < W; x++) {
      const x0 = tx.i0[x]!, x1 = tx.i1[x]!, fx = tx.f[x]!;
      const a = y0 * mw + x0, b = y0 * mw + x1, c = y1 * mw + x0, d = y1 * mw + x1;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const o = 2 * (y * W + x);
      out[o] = sx * (w00 * data[a]! + w01 * data[b]! + w10 * data[c]! + w11 * data[d]!);
      out[o + 1] = sy * (w00 * data[plane + a]! + w01 * data[plane + b]! + w10 * data[plane + c]! + w11 * data[plane + d]!);
    }
  }
  return { width: W, height: H, data: out };
}
