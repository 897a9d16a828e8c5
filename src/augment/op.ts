/**
 * The shape every augmentation shares: an `AugmentOp` maps a `Sample` to a new `Sample`, drawing
 * every random choice from the `Rng` it is given. Ops never modify their input: arrays they change
 * are new, arrays they leave alone are passed through by reference (so "labels unchanged" means
 * the very same bytes).
 *
 * Option handling is shared too: `resolveOptions` merges user options over an op's `Required<>`
 * defaults, rejecting unknown keys and wrongly typed values with an `OptionError` (a `UsageError`
 * whose `detail` the config loader prefixes with the file and the op).
 */
import type { Sample } from '../io/index.js';
import type { Rng } from '../util/rng.js';
import { UsageError } from '../util/errors.js';

export interface AugmentOp {
  name: string;
  apply(sample: Sample, rng: Rng): Sample | Promise<Sample>;
}

/** Wraps an apply function as a named op that checks the sample's array sizes first. */
export function createOp(name: string, apply: (sample: Sample, rng: Rng) => Sample | Promise<Sample>): AugmentOp {
  return {
    name,
    apply(sample: Sample, rng: Rng): Sample | Promise<Sample> {
      checkSample(sample, `augment ${name}`);
      return apply(sample, rng);
    },
  };
}

/** An invalid option of an augmentation op. `detail` is the message without the op prefix. */
export class OptionError extends UsageError {
  readonly op: string;
  readonly detail: string;
  constructor(op: string, detail: string) {
    super(`augment ${op}: ${detail}`);
    this.op = op;
    this.detail = detail;
  }
}

type OptionValue = number | boolean | string | readonly unknown[];

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}

/**
 * `defaults` overlaid with the defined entries of `options`. Every key must be one of the defaults'
 * keys and have the same type (finite numbers; arrays with elements of the default's element type).
 */
export function resolveOptions<T extends object>(op: string, defaults: Required<T>, options: T): Required<T> {
  const out: Record<string, unknown> = { ...defaults };
  const known = Object.keys(defaults);
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!known.includes(key)) throw new OptionError(op, `unknown option '${key}' (options: ${known.join(', ')})`);
    const def = (defaults as Record<string, OptionValue>)[key]!;
    if (Array.isArray(def)) {
      const elementType = def.length > 0 ? typeof def[0] : undefined;
      if (!Array.isArray(value) || (elementType !== undefined && value.some((v) => typeof v !== elementType || (elementType === 'number' && !Number.isFinite(v))))) {
        throw new OptionError(op, `option '${key}' must be an array of ${elementType ?? 'values'}s, found ${describe(value)}`);
      }
    } else if (typeof value !== typeof def || (typeof value === 'number' && !Number.isFinite(value))) {
      throw new OptionError(op, `option '${key}' must be a ${typeof def === 'number' ? 'finite number' : typeof def}, found ${describe(value)}`);
    }
    out[key] = value;
  }
  return out as Required<T>;
}

/** Throws an OptionError unless lo ≤ value ≤ hi (and an integer when asked). */
export function checkRange(op: string, name: string, value: number, lo: number, hi: number, integer = false): void {
  if (!(value >= lo && value <= hi) || (integer && !Number.isInteger(value))) {
    throw new OptionError(op, `option '${name}' must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], found ${value}`);
  }
}

/** Throws an OptionError unless min ≤ max. */
export function checkOrdered(op: string, minName: string, min: number, maxName: string, max: number): void {
  if (!(min <= max)) throw new OptionError(op, `option '${minName}' (${min}) must not exceed '${maxName}' (${max})`);
}

/** Throws an OptionError unless every entry of `values` is one of `allowed` (and there is at least one). */
export function checkChoices(op: string, name: string, values: readonly unknown[], allowed: readonly string[]): void {
  if (values.length === 0) throw new OptionError(op, `option '${name}' must not be empty (choices: ${allowed.join(', ')})`);
  for (const v of values) {
    if (typeof v !== 'string' || !allowed.includes(v)) throw new OptionError(op, `option '${name}': unknown choice ${describe(v)} (choices: ${allowed.join(', ')})`);
  }
}

function checkLen(array: ArrayLike<unknown> | undefined, expected: number, name: string, where: string): void {
  if (array !== undefined && array.length !== expected) {
    throw new RangeError(`${where}: sample.${name} has length ${array.length}, expected ${expected}`);
  }
}

/** Checks a sample's sizes at a module boundary (RangeError naming the field, expected against found). */
export function checkSample(sample: Sample, where: string): void {
  const { width: W, height: H, uvSize: D } = sample;
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 1 || H < 1) throw new RangeError(`${where}: sample size ${W}×${H} is not a positive integer size`);
  if (!Number.isInteger(D) || D < 0) throw new RangeError(`${where}: sample.uvSize ${D} is not a non-negative integer`);
  const n = W * H, V = sample.mu.length / 2;
  checkLen(sample.image, 3 * n, 'image', where);
  checkLen(sample.mask, n, 'mask', where);
  checkLen(sample.occlusion, n, 'occlusion', where);
  checkLen(sample.depth, n, 'depth', where);
  checkLen(sample.normal, 3 * n, 'normal', where);
  checkLen(sample.uv, 2 * n, 'uv', where);
  checkLen(sample.triangle, n, 'triangle', where);
  if (!Number.isInteger(V)) throw new RangeError(`${where}: sample.mu has odd length ${sample.mu.length}, expected 2·V`);
  checkLen(sample.vertices, 3 * V, 'vertices', where);
  checkLen(sample.visible, V, 'visible', where);
  checkLen(sample.K, 9, 'K', where);
  checkLen(sample.Rt, 12, 'Rt', where);
  checkLen(sample.vertexUv, 2 * V, 'vertexUv', where);
  checkLen(sample.vertexWeight, V, 'vertexWeight', where);
  checkLen(sample.uvFlow, 2 * D * D, 'uvFlow', where);
  checkLen(sample.uvFlowValid, D * D, 'uvFlowValid', where);
  checkLen(sample.uvWeight, D * D, 'uvWeight', where);
}

/** Rec. 601 luma weights on sRGB-encoded values (as PIL's 'L' mode and torchvision's grayscale). */
export const LUMA_R = 0.299;
export const LUMA_G = 0.587;
export const LUMA_B = 0.114;

/**
 * sRGB floats in [0, 1] (Float32Array [N]) to bytes, rounded to nearest, clamped; NaN → 0.
 * The same values as io's `floatToImage`, without its per-call checks (hot path of blur/jpeg).
 */
export function floatToBytes(src: Float32Array, out: Uint8Array = new Uint8Array(src.length)): Uint8Array {
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    out[i] = x > 0 ? (x < 1 ? (x * 255 + 0.5) | 0 : 255) : 0;
  }
  return out;
}

/** Bytes to sRGB floats in [0, 1]: Float32Array [N]. */
export function bytesToFloat(src: Uint8Array, out: Float32Array = new Float32Array(src.length)): Float32Array {
  const s = 1 / 255;
  for (let i = 0; i < src.length; i++) out[i] = src[i]! * s;
  return out;
}
