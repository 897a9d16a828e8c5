/**
 * Runs the compiled `workbench` CLI (dist/, built by `npm test` before vitest runs) as a user would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const entry = join(root, 'dist', 'cli', 'main.js');

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

if (!existsSync(entry)) throw new Error(`${entry} is missing: run 'npm run build' (npm test does it)`);
if (newestMtime(join(root, 'src')) > statSync(entry).mtimeMs + 1000) console.warn('warning: src/ is newer than dist/: run npm run build (npm test does it)');

export interface CliResult { status: number; stdout: string; stderr: string }

export function runCli(args: string[], options: { cwd?: string; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [entry, ...args], { encoding: 'utf8', cwd: options.cwd ?? root, timeout: options.timeout ?? 300_000, maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs and parses stdout as one JSON value; fails with stderr shown when the exit code is not 0. */
export function runCliJson(args: string[], options: { cwd?: string } = {}): unknown {
  const r = runCli([...args, '--json'], options);
  if (r.status !== 0) throw new Error(`workbench ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}
