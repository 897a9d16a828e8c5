/**
 * Augmentation configs: a list of ops with probabilities (JSON), loaded and turned into one
 * function `(sample, rng) → Promise<sample>`.
 *
 * ```json
 * { "backgrounds": "dtd/images",
 *   "ops": [ { "op": "geometric", "probability": 0.5, "maxRotation": 15 },
 *            { "op": "background", "probability": 0.7 }, ... ] }
 * ```
 * Ops run in the listed order. Op i of a sample draws from `rng.fork('<i>:<op>')`: first whether it
 * applies (probability), then its own parameters, so an op's randomness does not depend on what the
 * ops before it drew, and the same seed gives byte-identical samples. Relative folders in a config
 * file (`backgrounds`, an op's `folder`) are resolved against the file's folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../io/index.js';
import type { Rng } from '../util/rng.js';
import { UsageError, messageOf } from '../util/errors.js';
import { OptionError, type AugmentOp } from './op.js';
import { background } from './background.js';
import { blur } from './blur.js';
import { brightness } from './brightness.js';
import { colorShift } from './color-shift.js';
import { contrast } from './contrast.js';
import { geometric } from './geometric.js';
import { grayscale } from './grayscale.js';
import { jpeg } from './jpeg.js';
import { noise } from './noise.js';
import { occlude } from './occlude.js';
import { saturation } from './saturation.js';

export interface AugmentOpSpec {
  /** The op's name (a key of AUGMENT_OPS). */
  op: string;
  /** Probability in [0, 1] that the op is applied to a sample. */
  probability: number;
  /** The op's options (see its `*_DEFAULTS`). */
  [option: string]: unknown;
}

export interface AugmentConfig {
  ops: AugmentOpSpec[];
  /** Folder of background images for the `background` op. */
  backgrounds?: string;
  /** Where the config came from (a file path, 'none'), named in error messages. */
  source?: string;
}

type Factory = (options: Record<string, unknown>, config: AugmentConfig) => AugmentOp;

/** Every op a config can name, by name. */
export const AUGMENT_OPS: Readonly<Record<string, Factory>> = {
  geometric: (o) => geometric(o),
  background: (o, config) => background({ folder: config.backgrounds, ...o }),
  occlude: (o) => occlude(o),
  brightness: (o) => brightness(o),
  contrast: (o) => contrast(o),
  saturation: (o) => saturation(o),
  colorShift: (o) => colorShift(o),
  grayscale: (o) => grayscale(o),
  blur: (o) => blur(o),
  noise: (o) => noise(o),
  jpeg: (o) => jpeg(o),
};

/** Path of the built-in default config (data/augment/default.json). */
export const DEFAULT_AUGMENT_CONFIG = fileURLToPath(new URL('../../data/augment/default.json', import.meta.url));

const TOP_LEVEL_KEYS = ['ops', 'backgrounds', 'description'];

/**
 * Reads a config: a JSON file path, 'default' (data/augment/default.json) or 'none' (no ops).
 * Validates it fully (unknown ops, bad options, unreadable background folders) and throws a
 * UsageError naming the file and the op.
 */
export function loadAugmentConfig(spec: string): AugmentConfig {
  if (spec === 'none') return { ops: [], source: 'none' };
  const path = spec === 'default' ? DEFAULT_AUGMENT_CONFIG : resolve(spec);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`augment config '${path}' cannot be read: ${messageOf(error)} (expected a JSON file, 'default' or 'none')`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not valid JSON: ${messageOf(error)}`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`${path}: expected a JSON object with an 'ops' array, found ${Array.isArray(json) ? 'an array' : String(json)}`);
  const obj = json as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!TOP_LEVEL_KEYS.includes(key)) throw new UsageError(`${path}: unknown key '${key}' (keys: ${TOP_LEVEL_KEYS.join(', ')})`);
  }
  if (!Array.isArray(obj.ops)) throw new UsageError(`${path}: 'ops' must be an array of {op, probability, ...options}, found ${obj.ops === undefined ? 'nothing' : typeof obj.ops}`);
  if (obj.backgrounds !== undefined && typeof obj.backgrounds !== 'string') throw new UsageError(`${path}: 'backgrounds' must be a folder path, found ${typeof obj.backgrounds}`);
  const base = dirname(path);
  const config: AugmentConfig = { ops: obj.ops as AugmentOpSpec[], source: path };
  if (typeof obj.backgrounds === 'string') config.backgrounds = isAbsolute(obj.backgrounds) ? obj.backgrounds : resolve(base, obj.backgrounds);
  config.ops = config.ops.map((op) =>
    typeof op === 'object' && op !== null && typeof op.folder === 'string' && op.folder !== '' && !isAbsolute(op.folder) ? { ...op, folder: resolve(base, op.folder) } : op,
  );
  buildAugmentation(config); // validate now, so errors come before any work
  return config;
}

/** The ops of a config, each with its probability; throws a UsageError naming the config and the op. */
export function buildOps(config: AugmentConfig): Array<{ op: AugmentOp; probability: number }> {
  const where = config.source ?? 'augment config';
  if (typeof config !== 'object' || config === null || !Array.isArray(config.ops)) throw new UsageError(`${where}: expected an object with an 'ops' array`);
  return config.ops.map((spec, i) => {
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new UsageError(`${where}: ops[${i}] must be an object {op, probability, ...options}`);
    const { op: name, probability, ...options } = spec;
    if (typeof name !== 'string') throw new UsageError(`${where}: ops[${i}] needs an 'op' name (one of ${Object.keys(AUGMENT_OPS).join(', ')})`);
    const factory = Object.hasOwn(AUGMENT_OPS, name) ? AUGMENT_OPS[name] : undefined;
    if (!factory) throw new UsageError(`${where}: ops[${i}]: unknown op '${name}' (known: ${Object.keys(AUGMENT_OPS).join(', ')})`);
    if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
      throw new UsageError(`${where}: ops[${i}] '${name}': 'probability' must be a number in [0, 1], found ${probability === undefined ? 'nothing' : JSON.stringify(probability)}`);
    }
    try {
      return { op: factory(options, config), probability };
    } catch (error) {
      if (error instanceof OptionError) throw new UsageError(`${where}: ops[${i}] '${name}': ${error.detail}`, { cause: error });
      throw error;
    }
  });
}

/**
 * One function applying a config's ops in order, each with its probability. `rng` is the sample's
 * own stream (the pipeline passes `rng.fork(sampleIndex)`); it is only forked, never advanced.
 */
export function buildAugmentation(config: AugmentConfig): (sample: Sample, rng: Rng) => Promise<Sample> {
  const ops = buildOps(config);
  return async (sample: Sample, rng: Rng): Promise<Sample> => {
    let s = sample;
    for (let i = 0; i < ops.length; i++) {
      const { op, probability } = ops[i]!;
      const r = rng.fork(`${i}:${op.name}`);
      if (!r.chance(probability)) continue;
      s = await op.apply(s, r);
    }
    return s;
  };
}
