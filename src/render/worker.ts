/**
 * Worker-thread entry of `workbench render` (see pool.ts): builds a RenderRunner from the plan and
 * the shared model, then renders the runs of sample indices it is handed, one record per sample.
 * Runs from the compiled `dist/render/worker.js`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../util/errors.js';
import { RenderRunner } from './runner.js';
import type { WorkerInit, WorkerMessage, WorkerRequest } from './pool.js';

const port = parentPort;
if (!port) throw new Error('render worker: not started as a worker thread');
const post = (msg: WorkerMessage): void => port.postMessage(msg);

const init = workerData as WorkerInit;
let runner: RenderRunner;
try {
  runner = await RenderRunner.create(init.plan, init.model);
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'fatal', message: messageOf(error) });
  port.close();
}

port.on('message', async (msg: WorkerRequest) => {
  if (msg.type === 'exit') { port.close(); return; }
  for (const index of msg.indices) {
    try {
      post({ type: 'record', record: await runner.run(index) });
    } catch (error) {
      post({ type: 'failed', index, message: messageOf(error) });
    }
  }
  post({ type: 'chunk-done' });
});
