/** Worker-thread entry of the native engine: runs one share of a workload (see workload-runner.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { ParentMessage, WorkerMessage, WorkerSpec } from './messages.js';
import { WorkloadRunner } from './workload-runner.js';

const port = parentPort;
if (port === null) throw new Error('scenarios/engines/native/worker.js runs only as a worker thread of the native engine');
const runner = new WorkloadRunner(workerData as WorkerSpec, (message: WorkerMessage) => port.postMessage(message));
port.on('message', (message: ParentMessage) => runner.handle(message));
port.postMessage({ type: 'ready' } satisfies WorkerMessage);
