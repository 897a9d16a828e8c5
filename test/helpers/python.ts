/**
 * python3 + numpy for round-trip tests. Tests that need it use `describe.skipIf(!numpy.available)`
 * and say so: the reason is printed once when numpy is missing.
 */
import { spawnSync } from 'node:child_process';

function probe(): { available: boolean; reason: string } {
  const r = spawnSync('python3', ['-c', 'import numpy; print(numpy.__version__)'], { encoding: 'utf8' });
  if (r.error) return { available: false, reason: `python3 not found (${r.error.message})` };
  if (r.status !== 0) return { available: false, reason: `python3 has no numpy: ${r.stderr.trim().split('\n').pop()}` };
  return { available: true, reason: `numpy ${r.stdout.trim()}` };
}

export const numpy = probe();
if (!numpy.available) console.warn(`skipping numpy round-trip tests: ${numpy.reason}`);

/** Whether `import scipy` works (for sparse-matrix pickles). */
export const scipyAvailable = numpy.available && spawnSync('python3', ['-c', 'import scipy.sparse'], { encoding: 'utf8' }).status === 0;

/** Runs a python script (stdin) with arguments; returns stdout; throws with stderr on failure. */
export function runPython(script: string, args: string[] = []): string {
  const r = spawnSync('python3', ['-', ...args], { input: script, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`python3 failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}
