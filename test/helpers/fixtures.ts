/**
 * The real FLAME asset files in ../shared/fixtures/flame-assets (never copied into the project).
 * Tests that read them use `describe.skipIf(!flameAssets.available)`; a message says why when skipped.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const dir = process.env.WORKBENCH_FLAME_ASSETS ?? join(root, '..', 'shared', 'fixtures', 'flame-assets');

export const flameAssets = {
  dir,
  available: existsSync(join(dir, 'FLAME_masks.pkl')),
  path: (name: string): string => join(dir, name),
};
if (!flameAssets.available) console.warn(`skipping tests on real FLAME assets: ${dir} not found`);
