#!/usr/bin/env node
/**
 * The `workbench` command. Each sub-command is a thin wrapper over a library function; exit codes:
 * 0 success, 1 some items failed (a report was written), 2 usage or setup error.
 */
import { Command, CommanderError } from 'commander';
import { toolVersion } from '../util/version.js';
import { EXIT_USAGE, exitCodeOf, messageOf } from '../util/errors.js';
import { registerInspect } from './inspect.js';
import { registerModel } from './model.js';
import { registerFlame } from './flame.js';
import { registerDemo } from './demo.js';
import { registerBench } from './bench.js';
import { registerRender } from './render.js';
import { registerFit, registerSynth } from './fit.js';
import { registerRegister } from './register.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('workbench')
    .description('Turns raw 3D face data into training data for FLAME face trackers and speech-driven facial animation.')
    .version(toolVersion().version)
    .option('--model <model>', "head model: 'builtin', a FLAME .pkl or an .npz from 'workbench model export'", 'builtin')
    .option('--seed <seed>', 'seed for every random choice (same seed, same outputs)', '0')
    .option('--json', 'machine-readable output: results as JSON on stdout, logs as JSON lines on stderr')
    .option('--quiet', 'only warnings and errors')
    .option('--verbose', 'debug messages too')
    .showHelpAfterError()
    .exitOverride();
  registerInspect(program);
  registerModel(program);
  registerFlame(program);
  registerDemo(program);
  registerRender(program);
  registerFit(program);
  registerSynth(program);
  registerRegister(program);
  registerBench(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const code = exitCodeOf(error);
    if (json) process.stderr.write(JSON.stringify({ level: 'error', msg: messageOf(error), exitCode: code }) + '\n');
    else process.stderr.write(`error: ${messageOf(error)}\n`);
    if (process.env.WORKBENCH_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return code;
  }
}

main(process.argv).then((code) => { process.exitCode = code; });
