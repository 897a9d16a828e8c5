import type { Command } from 'commander';
import { resolve } from 'node:path';
import { contextOf } from './context.js';
import { runDemo } from '../pipeline/demo.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the main job on the built-in defaults and say where the outputs are')
    .option('--out <dir>', 'output folder', 'out/demo')
    .action(async (opts: { out: string }, command: Command) => {
      const ctx = contextOf(command);
      const model = await ctx.loadModel();
      const res = await runDemo(resolve(opts.out), { model, seed: ctx.seed, logger: ctx.logger });
      ctx.result(res, [
        `demo outputs in ${res.outDir}:`,
        `  open ${res.index}`,
        `  heads (OBJ): ${res.heads.map((h) => h.obj).join(', ')}`,
        `  pictures:    ${res.heads.map((h) => h.image).join(', ')}`,
        `  glTF:        ${res.glb} (expression morph targets and animation)`,
      ].join('\n'));
    });
}
