/**
 * Samples rendered in parallel on worker threads (`worker.ts`, from the compiled `dist/`): the main
 * thread hands out runs of consecutive sample indices (so views of one source stay together and the
 * source is loaded once per run), each worker renders and writes them and reports one record per
 * sample. The model goes to the workers once, in shared memory (no copy per worker).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../util/errors.js';
import { packageRoot } from '../util/version.js';
import type { FlameModel } from '../flame/model.js';
import type { RenderPlan, SampleRecord } from './runner.js';

/** Messages from a worker. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'record'; record: SampleRecord }
  | { type: 'failed'; index: number; message: string }
  | { type: 'chunk-done' }
  | { type: 'fatal'; message: string };

/** Messages to a worker. */
export type WorkerRequest = { type: 'run'; indices: number[] } | { type: 'exit' };

export interface WorkerInit {
  plan: RenderPlan;
  model: FlameModel;
}

type TypedArray = Float64Array | Float32Array | Uint32Array | Int32Array | Uint16Array | Uint8Array | Int8Array | Int16Array;

/** A copy of `value` whose typed arrays live in SharedArrayBuffers (posting it to a worker then shares them). */
export function shareTypedArrays<T>(value: T, depth = 0): T {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const a = value as unknown as TypedArray;
    if (a.buffer instanceof SharedArrayBuffer) return value;
    const ctor = a.constructor as new (buffer: SharedArrayBuffer) => TypedArray;
    const copy = new ctor(new SharedArrayBuffer(a.byteLength));
    copy.set(a as never);
    return copy as unknown as T;
  }
  if (value === null || typeof value !== 'object' || depth > 4) return value;
  if (Array.isArray(value)) return value.map((v) => shareTypedArrays(v, depth + 1)) as unknown as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = shareTypedArrays(v, depth + 1);
  return out as T;
}

/** The compiled worker script. */
export function workerScript(): string {
  return join(packageRoot(), 'dist', 'render', 'worker.js');
}

export interface PoolOptions {
  workers: number;
  /** Sample indices per hand-out. */
  chunk: number;
  onRecord(record: SampleRecord): void;
  onFailure(index: number, message: string): void;
}

/** Runs samples `indices` on `options.workers` threads; resolves when all are done (failed ones reported). */
export async function runInWorkers(plan: RenderPlan, model: FlameModel, indices: readonly number[], options: PoolOptions): Promise<void> {
  const script = workerScript();
  if (!existsSync(script)) throw new UsageError(`render: the worker script ${script} is missing; build the package first (npm run build), or use --workers 0`);
  const init: WorkerInit = { plan, model: shareTypedArrays(model) };
  const queue: number[][] = [];
  for (let k = 0; k < indices.length; k += options.chunk) queue.push(indices.slice(k, k + options.chunk));
  const n = Math.max(1, Math.min(options.workers, queue.length));
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = n, failed = false;
      const fail = (error: Error): void => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      for (let w = 0; w < n; w++) {
        const worker = new Worker(script, { workerData: init });
        workers.push(worker);
        const next = (): void => {
          const indicesOf = queue.shift();
          if (indicesOf) worker.postMessage({ type: 'run', indices: indicesOf } satisfies WorkerRequest);
          else {
            worker.postMessage({ type: 'exit' } satisfies WorkerRequest);
            if (--running === 0) resolve();
          }
        };
        worker.on('message', (msg: WorkerMessage) => {
          switch (msg.type) {
            case 'ready': next(); break;
            case 'record': options.onRecord(msg.record); break;
            case 'failed': options.onFailure(msg.index, msg.message); break;
            case 'chunk-done': next(); break;
            case 'fatal': fail(new UsageError(msg.message)); break;
          }
        });
        worker.on('error', (error) => fail(error));
        worker.on('exit', (code) => { if (code !== 0 && !failed) fail(new Error(`render: worker ${w} exited with code ${code}`)); });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
