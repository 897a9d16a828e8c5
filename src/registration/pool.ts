/**
 * Subjects registered in parallel on worker threads (`worker.ts`, from the compiled `dist/`): each
 * worker takes the next subject, registers its scans and reports one record per scan as it goes.
 * The model goes to the workers once, in shared memory (`shareTypedArrays`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../util/errors.js';
import { packageRoot } from '../util/version.js';
import type { FlameModel } from '../flame/model.js';
import { shareTypedArrays } from '../render/pool.js';
import type { ScanRecord } from './register-files.js';
import type { SubjectJob } from './subject.js';

export type RegisterWorkerMessage =
  | { type: 'ready' }
  | { type: 'record'; record: ScanRecord }
  | { type: 'subject-done' }
  | { type: 'subject-failed'; id: string; message: string }
  | { type: 'fatal'; message: string };

export type RegisterWorkerRequest = { type: 'run'; job: SubjectJob } | { type: 'exit' };

export interface RegisterWorkerInit {
  model: FlameModel;
  /** ONNX flow model path (undefined: classical flow). */
  flowModel?: string;
  verbose: boolean;
}

export function registerWorkerScript(): string {
  return join(packageRoot(), 'dist', 'registration', 'worker.js');
}

export async function runSubjectsInWorkers(init: RegisterWorkerInit, jobs: SubjectJob[], workers: number, onRecord: (r: ScanRecord) => void, onSubjectFailed: (id: string, message: string) => void): Promise<void> {
  const script = registerWorkerScript();
  if (!existsSync(script)) throw new UsageError(`register: the worker script ${script} is missing; build the package first (npm run build), or use --workers 0`);
  const queue = [...jobs];
  const n = Math.max(1, Math.min(workers, queue.length));
  const threads: Worker[] = [];
  const shared: RegisterWorkerInit = { ...init, model: shareTypedArrays(init.model) };
  try {
    await new Promise<void>((resolve, reject) => {
      let running = n, failed = false;
      const fail = (e: Error) => { if (!failed) { failed = true; reject(e); } };
      for (let w = 0; w < n; w++) {
        const worker = new Worker(script, { workerData: shared });
        threads.push(worker);
        const next = () => {
          const job = queue.shift();
          if (job) worker.postMessage({ type: 'run', job } satisfies RegisterWorkerRequest);
          else { worker.postMessage({ type: 'exit' } satisfies RegisterWorkerRequest); if (--running === 0) resolve(); }
        };
        worker.on('message', (msg: RegisterWorkerMessage) => {
          switch (msg.type) {
            case 'ready': next(); break;
            case 'record': onRecord(msg.record); break;
            case 'subject-failed': onSubjectFailed(msg.id, msg.message); next(); break;
            case 'subject-done': next(); break;
            case 'fatal': fail(new UsageError(msg.message)); break;
          }
        });
        worker.on('error', (e) => fail(e));
        worker.on('exit', (code) => { if (code !== 0 && !failed) fail(new Error(`register: worker ${w} exited with code ${code}`)); });
      }
    });
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}
