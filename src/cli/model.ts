import type { Command } from 'commander';
import { contextOf } from './context.js';
import { saveNpz } from '../io/npz.js';
import { modelToArrays } from '../flame/export.js';

export function registerModel(program: Command): void {
  const model = program.command('model').description('head models: export');
  model
    .command('export')
    .description('write a model (FLAME .pkl, .npz or builtin) as a plain npz: v_template, f, shapedirs, posedirs, J_regressor, weights, kintree_table, n_shape, n_expr, vt, ft, landmarks, region_<name>')
    .argument('<model>', "'builtin', a FLAME .pkl or an exported .npz")
    .argument('<out>', 'output .npz')
    .option('--compress', 'deflate the npz members')
    .action(async (spec: string, out: string, opts: { compress?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const m = await ctx.loadModel(spec);
      const arrays = modelToArrays(m);
      await saveNpz(out, arrays, { compress: Boolean(opts.compress) });
      ctx.logger.info(`wrote ${out}: ${m.numVertices} vertices, ${m.numShape} shape + ${m.numExpr} expression components, ${Object.keys(m.regions).length} regions`);
      ctx.result({ out, vertices: m.numVertices, shape: m.numShape, expr: m.numExpr, keys: [...arrays.keys()] }, out);
    });
}
