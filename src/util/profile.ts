/**
 * A phase profiler: accumulated wall-clock time and call counts per label, cheap enough to stay on.
 * Benchmarks report it ("where the time goes"); `profile.reset()` starts a new measurement.
 */

interface Entry { ms: number; calls: number }

class Profiler {
  private entries = new Map<string, Entry>();

  add(label: string, ms: number): void {
    const e = this.entries.get(label);
    if (e) { e.ms += ms; e.calls++; } else this.entries.set(label, { ms, calls: 1 });
  }

  /** Times a synchronous function. */
  time<T>(label: string, f: () => T): T {
    const t = performance.now();
    try { return f(); } finally { this.add(label, performance.now() - t); }
  }

  /** Times an async function. */
  async timeAsync<T>(label: string, f: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try { return await f(); } finally { this.add(label, performance.now() - t); }
  }

  reset(): void { this.entries.clear(); }

  /** label → { ms, calls }, sorted by time. */
  report(): Record<string, { ms: number; calls: number }> {
    return Object.fromEntries([...this.entries].sort((a, b) => b[1].ms - a[1].ms).map(([k, v]) => [k, { ms: Math.round(v.ms), calls: v.calls }]));
  }
}

export const profile = new Profiler();
