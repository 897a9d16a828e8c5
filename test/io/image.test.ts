import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { readImage, writeImage, encodeImage, imageToFloat, floatToImage, imageFormatOf, type Image, type Channels } from '../../src/io/image.js';
import { FormatError, UsageError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir } from '../helpers/tmp.js';

function randomImage(seed: number, width: number, height: number, channels: Channels): Image {
  const rng = new Rng(seed);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { width, height, channels, data };
}

/** A PNG written by hand (no image library): IHDR, one zlib IDAT with filter 0 rows, IEND. */
function handPng(width: number, height: number, bitDepth: 8 | 16, colorType: 0 | 2 | 4 | 6, samples: number[]): Buffer {
  const perPixel = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  const bytesPerSample = bitDepth / 8;
  const row = width * perPixel * bytesPerSample;
  const raw = Buffer.alloc(height * (row + 1));
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * perPixel; i++) {
      const v = samples[y * width * perPixel + i]!;
      if (bitDepth === 8) raw[y * (row + 1) + 1 + i] = v;
      else raw.writeUInt16BE(v, y * (row + 1) + 1 + 2 * i);
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer): number => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = bitDepth; ihdr[9] = colorType;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

describe('readImage', () => {
  it('reads the exact pixels of a hand-written 8-bit RGB PNG (row 0 at the top)', async () => {
    // 3×2: top row red, green, blue; bottom row black, grey 128, white
    const samples = [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 128, 128, 128, 255, 255, 255];
    const image = await readImage(handPng(3, 2, 8, 2, samples));
    expect(image.width).toBe(3);
    expect(image.height).toBe(2);
    expect(image.channels).toBe(3);
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(image.data)).toEqual(samples);
  });

  it('keeps grey as 1 channel, scales 16-bit to 8-bit and expands grey+alpha to RGBA', async () => {
    const grey = await readImage(handPng(3, 1, 8, 0, [0, 7, 255]));
    expect(grey.channels).toBe(1);
    expect(Array.from(grey.data)).toEqual([0, 7, 255]);
    const grey16 = await readImage(handPng(3, 1, 16, 0, [0, 128 * 257, 65535]));
    expect(grey16.channels).toBe(1);
    expect(Array.from(grey16.data)).toEqual([0, 128, 255]);
    const ga = await readImage(handPng(2, 1, 8, 4, [10, 200, 30, 0]));
    expect(ga.channels).toBe(4);
    expect(Array.from(ga.data)).toEqual([10, 10, 10, 200, 30, 30, 30, 0]);
    const rgba = await readImage(handPng(1, 1, 8, 6, [1, 2, 3, 4]));
    expect(rgba.channels).toBe(4);
    expect(Array.from(rgba.data)).toEqual([1, 2, 3, 4]);
  });

  it('names the file when it cannot decode it', async () => {
    const dir = tempDir();
    const path = join(dir, 'broken.png');
    writeFileSync(path, 'this is not an image');
    await expect(readImage(path)).rejects.toBeInstanceOf(FormatError);
    await expect(readImage(path)).rejects.toThrow(/broken\.png: cannot decode image/);
    const truncated = join(dir, 'truncated.png');
    writeFileSync(truncated, handPng(8, 8, 8, 2, new Array(192).fill(9)).subarray(0, 40));
    await expect(readImage(truncated)).rejects.toThrow(/truncated\.png/);
    await expect(readImage(join(dir, 'missing.png'))).rejects.toThrow(/missing\.png/);
  });
});

describe('writeImage / encodeImage', () => {
  it.each([1, 3, 4] as const)('PNG round trip is exact (%i channels, seed 5)', async (channels) => {
    const dir = tempDir();
    const image = randomImage(5, 17, 9, channels);
    const path = join(dir, 'x.png');
    await writeImage(path, image);
    expect(readdirSync(dir)).toEqual(['x.png']);
    expect(readFileSync(path).subarray(1, 4).toString('latin1')).toBe('PNG');
    const back = await readImage(path);
    expect(back).toEqual(image);
  });

  it('JPEG round trip is close on a smooth image', async () => {
    const width = 64, height = 48;
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        data[i] = Math.round((x / (width - 1)) * 255);
        data[i + 1] = Math.round((y / (height - 1)) * 255);
        data[i + 2] = 128;
      }
    }
    const image: Image = { width, height, channels: 3, data };
    const dir = tempDir();
    await writeImage(join(dir, 'g.jpg'), image, { quality: 95 });
    const bytes = readFileSync(join(dir, 'g.jpg'));
    expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
    const back = await readImage(bytes);
    expect([back.width, back.height, back.channels]).toEqual([width, height, 3]);
    let sum = 0, worst = 0;
    for (let i = 0; i < data.length; i++) {
      const d = Math.abs(back.data[i]! - data[i]!);
      sum += d;
      worst = Math.max(worst, d);
    }
    expect(sum / data.length).toBeLessThan(1.5);
    expect(worst).toBeLessThan(12);
  });

  it('takes the format from the extension unless told, and refuses unknown extensions', async () => {
    expect(imageFormatOf('a/b.PNG')).toBe('png');
    expect(imageFormatOf('a/b.jpeg')).toBe('jpeg');
    expect(() => imageFormatOf('a/b.tif')).toThrow(UsageError);
    const dir = tempDir();
    const image = randomImage(6, 4, 4, 3);
    await writeImage(join(dir, 'forced.img'), image, { format: 'png' });
    expect(await readImage(join(dir, 'forced.img'))).toEqual(image);
    await expect(writeImage(join(dir, 'x.bmp'), image)).rejects.toBeInstanceOf(UsageError);
  });

  it('refuses inconsistent images, naming the file', async () => {
    const bad: Image = { width: 4, height: 4, channels: 3, data: new Uint8Array(10) };
    await expect(encodeImage(bad)).rejects.toThrow(/data length 10, expected 4×4×3 = 48/);
    await expect(writeImage('/tmp/never-written.png', bad)).rejects.toThrow(/never-written\.png/);
  });
});

describe('float helpers', () => {
  it('imageToFloat maps 0..255 to 0..1 and floatToImage inverts it exactly', () => {
    const image = randomImage(8, 5, 3, 4);
    const f = imageToFloat(image);
    expect(f).toBeInstanceOf(Float32Array);
    expect(f[0]).toBeCloseTo(image.data[0]! / 255, 7);
    expect(floatToImage(f, 5, 3, 4)).toEqual(image);
  });

  it('floatToImage clamps, rounds to the nearest level and maps NaN to 0', () => {
    const img = floatToImage(new Float32Array([-1, 0, 0.5, 1, 2, NaN, 0.001, 0.999]), 8, 1, 1);
    expect(Array.from(img.data)).toEqual([0, 0, 128, 255, 255, 0, 0, 255]);
    expect(() => floatToImage(new Float32Array(5), 2, 2, 1)).toThrow(/data length 5/);
  });
});
