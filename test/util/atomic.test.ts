import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/util/atomic.js';
import { writeManifest } from '../../src/util/manifest.js';
import { hashBytes } from '../../src/util/hash.js';
import { tempDir } from '../helpers/tmp.js';

describe('atomic writes and manifests', () => {
  it('writes the content, creates parents and leaves no temporary file', async () => {
    const dir = tempDir();
    await writeFileAtomic(join(dir, 'a', 'b.txt'), 'hello');
    writeFileAtomicSync(join(dir, 'a', 'c.bin'), new Uint8Array([1, 2, 3]));
    expect(readFileSync(join(dir, 'a', 'b.txt'), 'utf8')).toBe('hello');
    expect([...readFileSync(join(dir, 'a', 'c.bin'))]).toEqual([1, 2, 3]);
    expect(readdirSync(join(dir, 'a')).sort()).toEqual(['b.txt', 'c.bin']);
  });

  it('fails into a folder that cannot exist without leaving a temporary file', async () => {
    const dir = tempDir();
    await writeFileAtomic(join(dir, 'file'), 'x');
    await expect(writeFileAtomic(join(dir, 'file', 'under-a-file.txt'), 'y')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['file']);
  });

  it('writes a manifest with hashes and sizes of outputs, deterministically', async () => {
    const dir = tempDir();
    await writeFileAtomic(join(dir, 'out.txt'), 'abc');
    const m = await writeManifest(dir, { command: 'test', parameters: { seed: 1 }, outputs: ['out.txt'] });
    expect(m.outputs).toEqual([{ path: 'out.txt', sha256: hashBytes('abc'), bytes: 3 }]);
    const first = readFileSync(join(dir, 'manifest.json'), 'utf8');
    await writeManifest(dir, { command: 'test', parameters: { seed: 1 }, outputs: [join(dir, 'out.txt')] });
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(first);
    expect(JSON.parse(first).tool.name).toBe('face-workbench');
  });
});
