import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { FormatError, UsageError } from '../../src/util/errors.js';
import { background, proceduralTexture, TEXTURE_KINDS } from '../../src/augment/index.js';
import type { Sample } from '../../src/io/sample.js';
import { tempDir } from '../helpers/tmp.js';
import { planeSample } from './synthetic.js';

/** Pixels that differ between two images, split by mask. */
function changes(a: Sample, b: Sample): { inside: number; outside: number; outsideTotal: number } {
  let inside = 0, outside = 0, outsideTotal = 0;
  for (let p = 0; p < a.width * a.height; p++) {
    const diff = a.image[3 * p] !== b.image[3 * p] || a.image[3 * p + 1] !== b.image[3 * p + 1] || a.image[3 * p + 2] !== b.image[3 * p + 2];
    if (a.mask[p]) inside += diff ? 1 : 0;
    else { outside += diff ? 1 : 0; outsideTotal++; }
  }
  return { inside, outside, outsideTotal };
}

async function solidPng(path: string, rgb: [number, number, number], width = 40, height = 30): Promise<void> {
  await sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(path);
}

describe('procedural textures', () => {
  for (const kind of TEXTURE_KINDS) {
    it(`${kind}: finite values in [0, 1], deterministic, varied unless plain (seed tex-${kind})`, () => {
      const a = proceduralTexture(new Float32Array(48 * 40 * 3), 48, 40, new Rng(`tex-${kind}`), kind);
      const b = proceduralTexture(new Float32Array(48 * 40 * 3), 48, 40, new Rng(`tex-${kind}`), kind);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      const distinct = new Set<number>();
      for (const v of a) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
        distinct.add(v);
      }
      if (kind === 'plain') expect(distinct.size).toBeLessThanOrEqual(3);
      else expect(distinct.size).toBeGreaterThan(3);
    });
  }
});

describe('procedural textures at tiny sizes (occluder patches)', () => {
  it('stay finite and in [0, 1] down to 1×1 (seeds tiny-0..19)', () => {
    for (const kind of TEXTURE_KINDS) {
      for (const [w, h] of [[1, 1], [2, 3], [5, 1]] as const) {
        for (let seed = 0; seed < 20; seed++) {
          const t = proceduralTexture(new Float32Array(w * h * 3), w, h, new Rng(`tiny-${seed}`), kind);
          for (const v of t) expect(v >= 0 && v <= 1, `${kind} ${w}×${h} seed ${seed}`).toBe(true);
        }
      }
    }
  });
});

describe('background op', () => {
  it('procedural: changes only pixels outside the mask, leaves labels alone', async () => {
    const s = planeSample({ tilt: true });
    for (let seed = 0; seed < 12; seed++) {
      const out = await background({ source: 'procedural' }).apply(s, new Rng(`bg-${seed}`));
      const c = changes(s, out);
      expect(c.inside).toBe(0);
      expect(c.outside).toBeGreaterThan(c.outsideTotal * 0.5);
      for (const key of Object.keys(s) as Array<keyof Sample>) if (key !== 'image') expect(out[key]).toBe(s[key]);
    }
  });

  it('keeps pixels an occluder covers', async () => {
    const s = planeSample();
    const occlusion = new Float32Array(64 * 64);
    occlusion.fill(0.5, 0, 64); // first row, outside the mask
    const out = await background({ source: 'procedural', textures: ['plain'] }).apply({ ...s, occlusion }, new Rng(2));
    for (let i = 0; i < 64 * 3; i++) expect(out.image[i]).toBe(s.image[i]);
    expect(out.image[64 * 3]).not.toBe(s.image[64 * 3]);
  });

  it('images: crops from a DTD-style folder fill the background (solid colours come through exactly)', async () => {
    const dir = tempDir('wb-dtd-');
    mkdirSync(join(dir, 'images', 'banded'), { recursive: true });
    mkdirSync(join(dir, 'labels'), { recursive: true });
    writeFileSync(join(dir, 'labels', 'labels_joint_anno.txt'), 'banded/a.png banded\n');
    await solidPng(join(dir, 'images', 'banded', 'a.png'), [200, 30, 40]);
    const s = planeSample();
    const out = await background({ folder: dir, source: 'images' }).apply(s, new Rng(5));
    const c = changes(s, out);
    expect(c.inside).toBe(0);
    for (let p = 0; p < 64 * 64; p++) {
      if (s.mask[p]) continue;
      expect(out.image[3 * p]! * 255).toBeCloseTo(200, 3);
      expect(out.image[3 * p + 1]! * 255).toBeCloseTo(30, 3);
      expect(out.image[3 * p + 2]! * 255).toBeCloseTo(40, 3);
    }
  });

  it('images: seeds pick among all files, deterministically; source any mixes in procedural textures', async () => {
    const dir = tempDir('wb-bg-');
    await solidPng(join(dir, 'red.png'), [255, 0, 0]);
    await solidPng(join(dir, 'blue.jpg'), [0, 0, 255], 64, 16);
    const s = planeSample();
    const seen = new Set<string>();
    const op = background({ folder: dir, source: 'images' });
    for (let seed = 0; seed < 16; seed++) {
      const a = await op.apply(s, new Rng(seed)), b = await op.apply(s, new Rng(seed));
      expect(Buffer.from(a.image.buffer).equals(Buffer.from(b.image.buffer))).toBe(true);
      seen.add(a.image[0]! > 0.5 ? 'red' : a.image[2]! > 0.5 ? 'blue' : 'other');
    }
    expect([...seen].sort()).toEqual(['blue', 'red']);
    const mixed = background({ folder: dir, source: 'any', imageShare: 0.5 });
    let procedural = 0;
    for (let seed = 0; seed < 20; seed++) {
      const a = await mixed.apply(s, new Rng(`mix-${seed}`));
      const solid = (a.image[0]! > 0.99 && a.image[2]! < 0.01) || (a.image[2]! > 0.99 && a.image[0]! < 0.01);
      if (!solid) procedural++;
    }
    expect(procedural).toBeGreaterThan(2);
    expect(procedural).toBeLessThan(18);
  });

  it('reports unusable folders and files', async () => {
    const empty = tempDir('wb-empty-');
    expect(() => background({ folder: empty })).toThrow(UsageError);
    expect(() => background({ folder: empty })).toThrow(/no background images .* under/);
    expect(() => background({ folder: join(empty, 'missing') })).toThrow(/cannot be read/);
    expect(() => background({ source: 'images' })).toThrow(/needs a folder/);
    expect(() => background({ source: 'sometimes' })).toThrow(/unknown choice 'sometimes'/);
    expect(() => background({ textures: ['plaid'] })).toThrow(/unknown choice 'plaid'/);
    const bad = tempDir('wb-bad-');
    writeFileSync(join(bad, 'broken.jpg'), 'not a jpeg');
    const err = await Promise.resolve(background({ folder: bad, source: 'images' }).apply(planeSample(), new Rng(1))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    expect(String((err as Error).message)).toContain('broken.jpg');
  });
});
