/**
 * Worker-thread entry of `workbench register` (see pool.ts): registers the subjects it is handed,
 * one record per scan. Runs from the compiled `dist/registration/worker.js`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../util/errors.js';
import { Logger } from '../util/log.js';
import { loadFlowModel } from '../flow/index.js';
import { setKernelThreads } from '../kernels/session.js';
import { registerSubject } from './subject.js';
import { classicalFlow, type FlowMethod } from './landmark-propagation.js';
import type { RegisterWorkerInit, RegisterWorkerMessage, RegisterWorkerRequest } from './pool.js';

const port = parentPort;
if (!port) throw new Error('register worker: not started as a worker thread');
const post = (msg: RegisterWorkerMessage): void => port.postMessage(msg);

const init = workerData as RegisterWorkerInit;
// the workers share the cores: one onnxruntime thread each
setKernelThreads(1);
let flow: FlowMethod = classicalFlow;
try {
  if (init.flowModel) flow = await loadFlowModel(init.flowModel);
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'fatal', message: messageOf(error) });
  port.close();
}
const logger = new Logger({ quiet: !init.verbose });

port.on('message', async (msg: RegisterWorkerRequest) => {
  if (msg.type === 'exit') { port.close(); return; }
  try {
    await registerSubject(init.model, msg.job, { flow, logger, onRecord: (record) => post({ type: 'record', record }) });
    post({ type: 'subject-done' });
  } catch (error) {
    post({ type: 'subject-failed', id: msg.job.id, message: messageOf(error) });
  }
});
