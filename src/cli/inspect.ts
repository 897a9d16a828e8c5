import type { Command } from 'commander';
import { contextOf } from './context.js';
import { formatSummary, inspectFile } from '../io/inspect.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('summarise a pickle, npy, npz, obj, ply, pp or glb file (keys, dtypes, shapes, sums; mesh counts)')
    .argument('<file>', 'file to inspect')
    .action(async (file: string, _opts, command: Command) => {
      const ctx = contextOf(command);
      const summary = await inspectFile(file);
      ctx.result(summary, formatSummary(summary));
    });
}
