import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { loadNpz, readNpz, saveNpz, writeNpz } from '../../src/io/npz.js';
import { writeNpy } from '../../src/io/npy.js';
import { dtypeString, encodeElements, nd, ndarray, type NdArray } from '../../src/io/ndarray.js';
import { FormatError, UsageError } from '../../src/util/errors.js';
import { numpy, runPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';
import { PY_DESC, thrown } from '../helpers/numpy-arrays.js';

interface Desc { descr: string; shape: number[]; hex: string }
const hex = (a: NdArray): string => Buffer.from(encodeElements(a)).toString('hex');
const describeArray = (a: NdArray): Desc => ({ descr: dtypeString(a), shape: a.shape, hex: hex(a) });


const entries = (): Map<string, NdArray> => new Map<string, NdArray>([
  ['vertices', nd.f32([2, 3], [0.1, 0.2, 0.3, -1, -2, -3])],
  ['faces', nd.u32([1, 3], [0, 1, 2])],
  ['big_int', ndarray('int64', [2], BigInt64Array.of(-(2n ** 62n), 5n))],
  ['names', ndarray('str', [2], ['left', 'r\u00e9ght'])],
  ['empty', ndarray('float64', [0], new Float64Array(0))],
  ['scalar', nd.scalar(30)],
  ['zeros', nd.f64([1000], new Array(1000).fill(0))],
]);


describe.skipIf(!numpy.available)('npz: round trips with numpy', () => {
  it('reads np.savez and np.savez_compressed archives (zip64 records), names without .npy', () => {
    const dir = tempDir();
    const expected = JSON.parse(runPython(`${PY_DESC}
out = sys.argv[1]
d = {'shapedirs': np.arange(60, dtype='>f8').reshape(5, 3, 4), 'mask': np.array([True, False]),
     'fortran': np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)), 'text': np.array(['a', 'bc'])}
np.savez(os.path.join(out, 'stored.npz'), **d)
np.savez_compressed(os.path.join(out, 'compressed.npz'), **d)
print(json.dumps({k: desc(v) for k, v in d.items()}))
`, [dir])) as Record<string, Desc>;
    for (const name of ['stored', 'compressed']) {
      const m = loadNpz(join(dir, `${name}.npz`));
      expect([...m.keys()].sort()).toEqual(Object.keys(expected).sort());
      for (const [k, d] of Object.entries(expected)) expect(describeArray(m.get(k) as NdArray), `${name}/${k}`).toEqual(d);
    }
  });

  for (const compress of [false, true]) {
    it(`numpy reads writeNpz output (${compress ? 'compressed' : 'stored'}) in order and exactly`, async () => {
      const dir = tempDir();
      const path = join(dir, 'out.npz');
      await saveNpz(path, entries(), { compress });
      const out = JSON.parse(runPython(`${PY_DESC}
z = np.load(sys.argv[1])
print(json.dumps([[k, desc(z[k])] for k in z.files]))
`, [path])) as Array<[string, Desc]>;
      expect(out.map(([k]) => k)).toEqual([...entries().keys()]);
      for (const [k, d] of out) expect(d, k).toEqual(describeArray(entries().get(k)!));
    });
  }
});

describe('npz: format details and malformed input', () => {
  it('is deterministic, compresses when asked, and round-trips through readNpz', () => {
    const stored = writeNpz(entries());
    const compressed = writeNpz(entries(), { compress: true });
    expect(Buffer.from(stored).equals(Buffer.from(writeNpz(entries())))).toBe(true);
    expect(Buffer.from(compressed).equals(Buffer.from(writeNpz(entries(), { compress: true })))).toBe(true);
    expect(compressed.length).toBeLessThan(stored.length);
    for (const bytes of [stored, compressed]) {
      const m = readNpz(bytes);
      expect([...m.keys()]).toEqual([...entries().keys()]);
      for (const [k, a] of entries()) expect(describeArray(m.get(k) as NdArray), k).toEqual(describeArray(a));
    }
  });

  it('accepts a plain object of entries', () => {
    const m = readNpz(writeNpz({ a: nd.f64([1], [1]), b: nd.i32([2], [3, 4]) }));
    expect([...m.keys()]).toEqual(['a', 'b']);
    expect(Array.from((m.get('b') as NdArray).data as Int32Array)).toEqual([3, 4]);
  });

  it('returns members that are not .npy files as raw bytes', () => {
    const zip = zipSync({ 'a.npy': writeNpy(nd.f64([1], [2])), 'notes.txt': Uint8Array.from(Buffer.from('hi')) });
    const m = readNpz(zip);
    expect(m.get('notes.txt')).toEqual(Uint8Array.from(Buffer.from('hi')));
    expect((m.get('a') as NdArray).data).toEqual(Float64Array.of(2));
  });

  it('refuses garbage, truncated archives and bad members with a FormatError naming the file', () => {
    const e1 = thrown(() => readNpz(Uint8Array.from(Buffer.from('definitely not a zip file')), 'bad.npz'));
    expect(e1).toBeInstanceOf(FormatError);
    expect((e1 as Error).message).toMatch(/^bad\.npz: not a readable npz \(zip\) archive/);
    const good = writeNpz(entries(), { compress: true });
    for (let n = 0; n < good.length; n += 7) {
      expect(thrown(() => readNpz(good.subarray(0, n), 'cut.npz')), `cut at ${n}`).toBeInstanceOf(FormatError);
    }
    const badMember = zipSync({ 'x.npy': Uint8Array.from(Buffer.from('\x93NUMPY\x01\x00\x02\x00{}', 'latin1')) });
    const e2 = thrown(() => readNpz(badMember, 'arch.npz'));
    expect(e2).toBeInstanceOf(FormatError);
    expect((e2 as Error).message).toMatch(/^arch\.npz\/x\.npy at byte 10: npy header/);
  });

  it('refuses a member that claims more uncompressed bytes than deflate can produce (no huge allocation)', () => {
    const bytes = writeNpz(new Map([['a', nd.f64([4], [1, 2, 3, 4])]]), { compress: true });
    const buf = Buffer.from(bytes);
    const cd = buf.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); // central directory entry
    buf.writeUInt32LE(0xfffffff0, cd + 24); // uncompressed size
    const lh = buf.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    buf.writeUInt32LE(0xfffffff0, lh + 22);
    const e = thrown(() => readNpz(Uint8Array.from(buf), 'bomb.npz'));
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toMatch(/claims 4294967280 bytes/);
  });

  it('names a missing file as a usage error', () => {
    expect(() => loadNpz('/nonexistent/a.npz')).toThrow(UsageError);
  });

  it('saveNpz writes what writeNpz returns', async () => {
    const dir = tempDir();
    await saveNpz(join(dir, 'a.npz'), entries(), { compress: true });
    expect(readFileSync(join(dir, 'a.npz')).equals(Buffer.from(writeNpz(entries(), { compress: true })))).toBe(true);
  });
});
