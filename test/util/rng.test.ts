import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';

describe('Rng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    const sb = Array.from({ length: 8 }, () => b.nextUint32());
    const sc = Array.from({ length: 8 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('forks independent streams without advancing the parent', () => {
    const a = new Rng('s');
    const before = new Rng('s').next();
    const f1 = a.fork(1).next(), f2 = a.fork(2).next();
    expect(f1).not.toBe(f2);
    expect(a.next()).toBe(before);
    expect(new Rng('s').fork(1).next()).toBe(f1);
  });

  it('has uniform moments and standard-normal moments within sampling error (seed 7)', () => {
    const r = new Rng(7);
    const n = 200_000;
    let s = 0, s2 = 0, g = 0, g2 = 0, g4 = 0, lo = 1, hi = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      lo = Math.min(lo, u); hi = Math.max(hi, u);
      s += u; s2 += u * u;
      const z = r.normal();
      g += z; g2 += z * z; g4 += z ** 4;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(s / n).toBeCloseTo(0.5, 2);
    expect(s2 / n - (s / n) ** 2).toBeCloseTo(1 / 12, 3);
    expect(g / n).toBeCloseTo(0, 2);
    expect(g2 / n).toBeCloseTo(1, 1);
    expect(g4 / n).toBeGreaterThan(2.9);
    expect(g4 / n).toBeLessThan(3.1);
  });

  it('int(n) covers [0, n) evenly', () => {
    const r = new Rng(3);
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 50_000; i++) counts[r.int(5)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });
});
