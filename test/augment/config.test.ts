import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { UsageError } from '../../src/util/errors.js';
import { AUGMENT_OPS, buildAugmentation, DEFAULT_AUGMENT_CONFIG, loadAugmentConfig, type AugmentConfig } from '../../src/augment/index.js';
import type { Sample } from '../../src/io/sample.js';
import { tempDir } from '../helpers/tmp.js';
import { bilinear, bytes, planeSample, project, sameBytes } from './synthetic.js';

function writeConfig(json: unknown, dir = tempDir('wb-aug-')): string {
  const path = join(dir, 'augment.json');
  writeFileSync(path, typeof json === 'string' ? json : JSON.stringify(json));
  return path;
}

function usageError(f: () => unknown): UsageError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError');
}

/** The default config with every op forced on. */
function allOn(): AugmentConfig {
  const config = loadAugmentConfig('default');
  return { ...config, ops: config.ops.map((op) => ({ ...op, probability: 1 })) };
}

describe('loadAugmentConfig', () => {
  it("'default' is data/augment/default.json with known ops and probabilities in [0, 1]", () => {
    const config = loadAugmentConfig('default');
    expect(config.source).toBe(DEFAULT_AUGMENT_CONFIG);
    const names = config.ops.map((o) => o.op);
    expect(names).toEqual(['geometric', 'background', 'occlude', 'brightness', 'contrast', 'saturation', 'colorShift', 'grayscale', 'blur', 'noise', 'jpeg']);
    for (const op of config.ops) {
      expect(Object.keys(AUGMENT_OPS)).toContain(op.op);
      expect(op.probability).toBeGreaterThanOrEqual(0);
      expect(op.probability).toBeLessThanOrEqual(1);
    }
    expect(JSON.parse(readFileSync(DEFAULT_AUGMENT_CONFIG, 'utf8')).ops).toEqual(config.ops);
  });

  it("'none' has no ops and returns the sample unchanged", async () => {
    const config = loadAugmentConfig('none');
    expect(config.ops).toEqual([]);
    const s = planeSample();
    expect(await buildAugmentation(config)(s, new Rng(1))).toBe(s);
  });

  it('names the file and the op for unknown ops and bad options', () => {
    const unknown = writeConfig({ ops: [{ op: 'brightness', probability: 1 }, { op: 'sepia', probability: 0.5 }] });
    const e1 = usageError(() => loadAugmentConfig(unknown));
    expect(e1.message).toContain(unknown);
    expect(e1.message).toContain("ops[1]: unknown op 'sepia'");

    const badKey = writeConfig({ ops: [{ op: 'noise', probability: 0.3, sigma: 0.1 }] });
    const e2 = usageError(() => loadAugmentConfig(badKey));
    expect(e2.message).toContain(badKey);
    expect(e2.message).toMatch(/ops\[0\] 'noise': unknown option 'sigma'/);

    const badType = writeConfig({ ops: [{ op: 'geometric', probability: 0.3, maxRotation: 'lots' }] });
    expect(usageError(() => loadAugmentConfig(badType)).message).toMatch(/ops\[0\] 'geometric': option 'maxRotation' must be a finite number, found 'lots'/);

    const badRange = writeConfig({ ops: [{ op: 'jpeg', probability: 0.3, minQuality: 80, maxQuality: 20 }] });
    expect(usageError(() => loadAugmentConfig(badRange)).message).toMatch(/'jpeg': option 'minQuality' \(80\) must not exceed 'maxQuality' \(20\)/);

    const badProbability = writeConfig({ ops: [{ op: 'blur', probability: 1.5 }] });
    expect(usageError(() => loadAugmentConfig(badProbability)).message).toMatch(/ops\[0\] 'blur': 'probability' must be a number in \[0, 1\], found 1.5/);
    const noProbability = writeConfig({ ops: [{ op: 'blur' }] });
    expect(usageError(() => loadAugmentConfig(noProbability)).message).toMatch(/'probability' .* found nothing/);
  });

  it('reports missing files, invalid JSON and a wrong layout, naming the file', () => {
    const dir = tempDir('wb-aug-');
    expect(usageError(() => loadAugmentConfig(join(dir, 'nope.json'))).message).toContain('nope.json');
    const broken = writeConfig('{"ops": [', dir);
    expect(usageError(() => loadAugmentConfig(broken)).message).toMatch(/augment\.json: not valid JSON/);
    expect(usageError(() => loadAugmentConfig(writeConfig([1, 2]))).message).toMatch(/expected a JSON object/);
    expect(usageError(() => loadAugmentConfig(writeConfig({ operations: [] }))).message).toMatch(/unknown key 'operations'/);
    expect(usageError(() => loadAugmentConfig(writeConfig({ ops: {} }))).message).toMatch(/'ops' must be an array/);
    expect(usageError(() => loadAugmentConfig(writeConfig({ ops: ['blur'] }))).message).toMatch(/ops\[0\] must be an object/);
  });

  it('resolves a relative backgrounds folder against the config file and checks it', async () => {
    const dir = tempDir('wb-aug-');
    mkdirSync(join(dir, 'bg', 'images', 'dotted'), { recursive: true });
    await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 0, g: 255, b: 0 } } }).png().toFile(join(dir, 'bg', 'images', 'dotted', 'x.png'));
    const path = writeConfig({ backgrounds: 'bg', ops: [{ op: 'background', probability: 1, source: 'images' }] }, dir);
    const config = loadAugmentConfig(path);
    expect(config.backgrounds).toBe(join(dir, 'bg'));
    const s = planeSample();
    const out = await buildAugmentation(config)(s, new Rng(1));
    expect(out.image[1]).toBe(1); // pixel 0 is background: green
    const missing = writeConfig({ backgrounds: 'elsewhere', ops: [{ op: 'background', probability: 1 }] }, tempDir('wb-aug-'));
    const e = usageError(() => loadAugmentConfig(missing));
    expect(e.message).toContain(missing);
    expect(e.message).toMatch(/'background': background folder .*elsewhere' cannot be read/);
  });
});

describe('buildAugmentation', () => {
  it('the same seed gives byte-identical samples; different seeds differ (all default ops on)', async () => {
    const augment = buildAugmentation(allOn());
    const s = planeSample({ tilt: true });
    const a = await augment(s, new Rng('aug').fork(3)), b = await augment(s, new Rng('aug').fork(3)), c = await augment(s, new Rng('aug').fork(4));
    expect(sameBytes(a, b)).toBe(true);
    expect(Buffer.compare(bytes(a.image), bytes(c.image))).not.toBe(0);
    expect(Buffer.compare(bytes(a.K), bytes(c.K))).not.toBe(0);
    expect(a.occlusion).toBeDefined();
  });

  it('keeps the label identities through the whole default pipeline (seeds pipe-0..7)', async () => {
    const augment = buildAugmentation(allOn());
    for (let seed = 0; seed < 8; seed++) {
      const s = planeSample({ tilt: false });
      const out: Sample = await augment(s, new Rng(`pipe-${seed}`));
      const p = project(out.vertices, out.K, out.Rt);
      for (let i = 0; i < p.length; i++) expect(Math.abs(p[i]! - out.mu[i]!)).toBeLessThan(1e-6);
      const f: number[] = [];
      for (let i = 0; i < 25; i++) {
        bilinear(out.uvFlow, 16, 16, 2, out.vertexUv[2 * i]!, out.vertexUv[2 * i + 1]!, f);
        expect(Math.abs(out.vertexUv[2 * i]! + f[0]! - out.mu[2 * i]!)).toBeLessThan(2e-4);
        expect(Math.abs(out.vertexUv[2 * i + 1]! + f[1]! - out.mu[2 * i + 1]!)).toBeLessThan(2e-4);
      }
      for (const v of out.image) expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  it('applies each op with its probability', async () => {
    const s = planeSample();
    const never = buildAugmentation({ ops: [{ op: 'brightness', probability: 0 }] });
    expect(await never(s, new Rng(1))).toBe(s);
    const half = buildAugmentation({ ops: [{ op: 'brightness', probability: 0.5, min: 0.5, max: 0.5 }] });
    let applied = 0;
    for (let seed = 0; seed < 200; seed++) if ((await half(s, new Rng(seed))) !== s) applied++;
    expect(applied).toBeGreaterThan(70);
    expect(applied).toBeLessThan(130);
  });

  it('names the config in errors of configs built in code', () => {
    expect(usageError(() => buildAugmentation({ ops: [{ op: 'warp', probability: 1 }], source: 'pipeline.json' })).message).toMatch(/^pipeline\.json: ops\[0\]: unknown op 'warp'/);
    expect(usageError(() => buildAugmentation({ ops: [{ op: 'background', probability: 1, source: 'images' }] })).message).toMatch(/'background': source 'images' needs a folder/);
  });
});
