/**
 * `manifest.json`: every output folder names its inputs (with content hashes), the parameters,
 * the tool version and its outputs, so a build can be resumed and audited. The manifest holds no
 * clock time, so the same inputs and seed give a byte-identical manifest.
 */
import { statSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { writeJsonAtomic } from './atomic.js';
import { hashFile } from './hash.js';
import { toolVersion } from './version.js';

export interface ManifestFile {
  /** Path relative to the output folder (outputs) or as given (inputs). */
  path: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  tool: { name: string; version: string };
  command: string;
  parameters: Record<string, unknown>;
  inputs: ManifestFile[];
  outputs: ManifestFile[];
}

export interface ManifestSpec {
  /** The command or stage that produced the folder, e.g. `demo` or `render`. */
  command: string;
  parameters?: Record<string, unknown>;
  /** Input files (paths as the user gave them); built-in inputs are named in `parameters`. */
  inputs?: string[];
  /** Output files, absolute or relative to `dir`. */
  outputs: string[];
}

async function describe(path: string, shownAs: string): Promise<ManifestFile> {
  return { path: shownAs, sha256: await hashFile(path), bytes: statSync(path).size };
}

/** Hashes inputs and outputs and writes `dir/manifest.json` atomically; returns the manifest. */
export async function writeManifest(dir: string, spec: ManifestSpec): Promise<Manifest> {
  const inputs: ManifestFile[] = [];
  for (const p of spec.inputs ?? []) inputs.push(await describe(p, p));
  const outputs: ManifestFile[] = [];
  const sorted = [...spec.outputs].map((p) => (isAbsolute(p) ? relative(dir, p) : p)).sort();
  for (const rel of sorted) outputs.push(await describe(join(dir, rel), rel.split('\\').join('/')));
  const manifest: Manifest = {
    tool: toolVersion(),
    command: spec.command,
    parameters: spec.parameters ?? {},
    inputs,
    outputs,
  };
  await writeJsonAtomic(join(dir, 'manifest.json'), manifest);
  return manifest;
}
