/** The tool's name and version, read once from package.json. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

let cached: { name: string; version: string } | undefined;

/** Name and version of the installed workbench (from its package.json). */
export function toolVersion(): { name: string; version: string } {
  if (!cached) {
    // src/util/version.ts and dist/util/version.js both sit two levels below the package root.
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
    cached = { name: pkg.name, version: pkg.version };
  }
  return cached;
}

/** Absolute path of the package root (the folder holding package.json). */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
