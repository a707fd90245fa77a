/**
 * One worker thread of the codemod runner (transform-files.ts): loads the compiled transform, runs
 * it over its share of the files, and posts back the counts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTransform, transformFilesInBand } from './transform-files.js';

interface WorkerInput {
  transformFile: string;
  files: string[];
  dry: boolean;
  transformOptions: Record<string, unknown>;
}

const input = workerData as WorkerInput;
const counts = await transformFilesInBand(await loadTransform(input.transformFile), input.files, { dry: input.dry, transformOptions: input.transformOptions });
parentPort?.postMessage(counts);
