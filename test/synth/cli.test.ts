import { describe, it, expect, vi } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerSynthFacescape } from '../../src/cli/synth-facescape.js';
import { tempDir } from '../helpers/tmp.js';

/** A program with the workbench's global options and a `synth` command carrying `facescape`. */
function program(): Command {
  const p = new Command();
  p.exitOverride()
    .option('--model <model>', 'head model', 'builtin')
    .option('--seed <seed>', 'seed', '0')
    .option('--json').option('--quiet').option('--verbose');
  registerSynthFacescape(p.command('synth'));
  return p;
}

/** Runs the program in-process and returns what it printed on stdout. */
async function run(args: string[]): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { chunks.push(String(chunk)); return true; });
  const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // progress events, commander's errors
  try {
    await program().parseAsync(['node', 'workbench', ...args]);
  } finally {
    spy.mockRestore();
    quiet.mockRestore();
  }
  return chunks.join('');
}

const tiny = ['--size', '48', '--views', '2', '--scan-vertices', '6000', '--texture-size', '96', '--quiet'];

describe('workbench synth facescape', () => {
  it('writes the dataset and prints the result (JSON), with the seed and variants', async () => {
    const out = tempDir('wb-synth-cli-');
    const text = await run(['synth', 'facescape', out, '--subjects', '1', '--expressions', '1', '--seed', '5', '--variants', 'metres,cheek_hole', '--json', ...tiny]);
    const res = JSON.parse(text) as { scans: number; expressions: string[]; variants: Record<string, string> };
    expect(res.expressions).toEqual(['1_neutral', '2_smile']);
    expect(res.scans).toBe(6);
    expect(Object.keys(res.variants).sort()).toEqual(['cheek_hole', 'metres']);
    expect(existsSync(join(out, '1', 'models_reg', '2_smile.obj'))).toBe(true);
    expect(existsSync(join(out, 'robustness', 'cheek_hole', '1', '2_smile', 'params.json'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parameters: { seed: string; variants: string[] } };
    expect(manifest.parameters.seed).toBe('5');
    expect(manifest.parameters.variants).toEqual(['metres', 'cheek_hole']);
  });

  it('takes an explicit expression list and the switches', async () => {
    const out = tempDir('wb-synth-cli-');
    await run(['synth', 'facescape', out, '--subjects', '1', '--expressions', '0', '--expression-list', '18_eye_closed', '--no-hair', '--no-torso', '--no-holes', '--noise', '0', ...tiny]);
    expect(existsSync(join(out, '1', '18_eye_closed', '0.jpg'))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { parameters: Record<string, unknown> };
    expect(manifest.parameters).toMatchObject({ hair: false, torso: false, holes: false, noiseMm: 0, expressions: ['1_neutral', '18_eye_closed'] });
  });

  it('refuses bad arguments with usage errors', async () => {
    const out = tempDir('wb-synth-cli-');
    await expect(run(['synth', 'facescape', out, '--subjects', '1', '--expressions', '20', ...tiny])).rejects.toThrow(/--expressions must be an integer 0–19/);
    await expect(run(['synth', 'facescape', out, '--subjects', '1', '--expressions', '1', '--variants', 'sideways', ...tiny])).rejects.toThrow(/unknown variant 'sideways'/);
    await expect(run(['--model', 'flame.pkl', 'synth', 'facescape', out, '--subjects', '1', '--expressions', '1', ...tiny])).rejects.toThrow(/built-in model/);
    await expect(run(['synth', 'facescape', out, '--expressions', '1', ...tiny])).rejects.toThrow(/--subjects/);
  });
});
