import type { Command } from 'commander';
import { contextOf } from './context.js';
import { UsageError } from '../util/errors.js';
import { loadNpz } from '../io/npz.js';
import { saveNpy } from '../io/npy.js';
import { isNdArray, ndarray, toFloat64 } from '../io/ndarray.js';
import { FlameEvaluator } from '../flame/lbs.js';

export function registerFlame(program: Command): void {
  const flame = program.command('flame').description('evaluate the head model');
  flame
    .command('eval')
    .description('vertices from parameters: P.npz holds shape, expr, pose [15], transl [3], optional offsets [V,3] (missing = zeros, short = zero-padded); writes float64 [V,3] (or [T,V,3] with --batch)')
    .requiredOption('--params <file>', 'parameters .npz')
    .requiredOption('--out <file>', 'output .npy')
    .option('--batch', 'arrays carry a leading frame axis: expr [T,E], pose [T,15], transl [T,3], shape [S] or [T,S]')
    .action(async (opts: { params: string; out: string; batch?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const model = await ctx.loadModel();
      const z = loadNpz(opts.params);
      const get = (key: string): { data: Float64Array; shape: number[] } | undefined => {
        const v = z.get(key);
        if (v === undefined) return undefined;
        if (!isNdArray(v)) throw new UsageError(`${opts.params}: '${key}' is not an array`);
        return { data: toFloat64(v, `${opts.params} ${key}`), shape: v.shape };
      };
      const known = new Set(['shape', 'expr', 'pose', 'transl', 'offsets']);
      for (const k of z.keys()) if (!known.has(k)) ctx.logger.warn(`${opts.params}: ignoring key '${k}' (known: shape, expr, pose, transl, offsets)`);
      const offsets = get('offsets');
      if (offsets && offsets.data.length !== model.numVertices * 3) throw new UsageError(`${opts.params}: 'offsets' has shape (${offsets.shape.join(', ')}), expected (${model.numVertices}, 3)`);
      const shape = get('shape'), expr = get('expr'), pose = get('pose'), transl = get('transl');
      const V = model.numVertices;
      const limits: Record<string, number> = { shape: model.numShape, expr: model.numExpr, pose: 15, transl: 3 };
      // frames and per-frame rows
      const rowsOf = (name: string, a: { data: Float64Array; shape: number[] } | undefined, T: number): Float64Array[] => {
        const width = limits[name]!;
        if (!a) return Array.from({ length: T }, () => new Float64Array(0));
        const batched = opts.batch && a.shape.length === 2;
        if (opts.batch && a.shape.length === 2 && a.shape[0] !== T) throw new UsageError(`${opts.params}: '${name}' has ${a.shape[0]} frames, other arrays ${T}`);
        const n = batched ? a.shape[1]! : a.data.length;
        if (!batched && a.shape.length > 1 && !(a.shape.length === 2 && a.shape[0] === 1)) throw new UsageError(`${opts.params}: '${name}' has shape (${a.shape.join(', ')}); expected a vector${opts.batch ? ' or [T, n]' : ' (use --batch for a frame axis)'}`);
        if (n > width) throw new UsageError(`${opts.params}: '${name}' has ${n} values, the model takes at most ${width}`);
        if ((name === 'pose' || name === 'transl') && n !== width && n !== 0) ctx.logger.warn(`${opts.params}: '${name}' has ${n} values, zero-padding to ${width}`);
        return Array.from({ length: T }, (_, t) => {
          const row = new Float64Array(name === 'pose' || name === 'transl' ? width : n);
          row.set(batched ? a.data.subarray(t * n, (t + 1) * n) : a.data.subarray(0, n));
          return row;
        });
      };
      let T = 1;
      if (opts.batch) {
        const lens = [expr, pose, transl, shape].filter((a) => a && a.shape.length === 2).map((a) => a!.shape[0]!);
        if (lens.length === 0) throw new UsageError(`${opts.params}: --batch needs at least one array with a frame axis [T, n]`);
        T = lens[0]!;
      }
      const S = rowsOf('shape', shape, T), X = rowsOf('expr', expr, T), P = rowsOf('pose', pose, T), Tr = rowsOf('transl', transl, T);
      const ev = new FlameEvaluator(model);
      const out = new Float64Array(T * V * 3);
      let lastShape: Float64Array | undefined;
      for (let t = 0; t < T; t++) {
        if (S[t] !== lastShape && (t === 0 || shape?.shape.length === 2)) { ev.setIdentity(S[t]!, offsets?.data); lastShape = S[t]; }
        out.set(ev.evaluate(X[t]!, P[t]!.length ? P[t] : undefined, Tr[t]!.length ? Tr[t] : undefined), t * V * 3);
      }
      await saveNpy(opts.out, ndarray('float64', opts.batch ? [T, V, 3] : [V, 3], out));
      ctx.logger.info(`wrote ${opts.out}: ${opts.batch ? `${T} frames × ` : ''}${V} vertices`);
      ctx.result({ out: opts.out, frames: opts.batch ? T : undefined, vertices: V }, opts.out);
    });
}
