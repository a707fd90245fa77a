/**
 * wsmig's own small runner for a jscodeshift transform, on jscodeshift's public API only (its main
 * export, bound to a parser by the transform itself): read each file, call the transform with the
 * `(file, api, options)` signature jscodeshift defines, and write what changed atomically — a file
 * is either its old content or its new one, never half written. Many files on a machine with spare
 * CPUs are split over worker threads (transform-worker.ts), each loading the compiled transform.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import jscodeshift, { type API, type Transform } from 'jscodeshift';
import { writeFileAtomic } from '../../lib/atomic-write.js';
import { WsmigError, messageOf } from '../../lib/errors.js';

/** What happened to the files, as jscodeshift counts it. */
export interface TransformCounts {
  /** Changed (written unless dry). */
  ok: number;
  nochange: number;
  /** The transform returned nothing: it declined the file. */
  skip: number;
  /** The file could not be read, or the transform threw. */
  error: number;
}

export interface TransformFilesOptions {
  /** Options handed to the transform as its third argument. */
  transformOptions: Record<string, unknown>;
  /** Report what would change; write nothing. */
  dry: boolean;
  /** Worker threads to use; 0 or 1 runs in this thread. */
  workers: number;
  /** The compiled worker script (transform-worker.js), needed when `workers` > 1. */
  workerScript?: string;
}

/** Loads a transform module (ESM or CommonJS, default export or module itself). */
export async function loadTransform(transformFile: string): Promise<Transform> {
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(transformFile).href);
  } catch (error) {
    throw new WsmigError('CODEMOD_NOT_BUILT', `could not load the transform ${transformFile} (${messageOf(error)}): run \`npm run build\` in the wsmig package, then try again.`);
  }
  const candidates = [loaded, (loaded as { default?: unknown }).default, ((loaded as { default?: { default?: unknown } }).default ?? {}).default];
  const transform = candidates.find((candidate) => typeof candidate === 'function');
  if (!transform) throw new WsmigError('CODEMOD_NOT_BUILT', `${transformFile} exports no transform function: run \`npm run build\`, then try again.`);
  return transform as Transform;
}

/** The `api` argument of a transform: jscodeshift itself, and `report`/`stats` that collect nothing (wsmig's transforms report through their own side channel). */
export function transformApi(report: (message: string) => void = () => undefined): API {
  return { jscodeshift, j: jscodeshift, stats: () => undefined, report };
}

/** Applies `transform` to one source text; `undefined` or `null` when it declined the file. */
export async function applyTransform(transform: Transform, file: { path: string; source: string }, options: Record<string, unknown>, api: API = transformApi()): Promise<string | null | undefined> {
  const output: unknown = await transform(file, api, options);
  return output === undefined || output === null ? output : String(output);
}

/** Runs the transform over `files` in this thread. */
export async function transformFilesInBand(transform: Transform, files: readonly string[], options: Omit<TransformFilesOptions, 'workers' | 'workerScript'>): Promise<TransformCounts> {
  const counts: TransformCounts = { ok: 0, nochange: 0, skip: 0, error: 0 };
  const api = transformApi();
  for (const file of files) {
    let source: string;
    try {
      source = await fs.readFile(file, 'utf8');
    } catch {
      counts.error++;
      continue;
    }
    try {
      const output = await applyTransform(transform, { path: file, source }, options.transformOptions, api);
      if (output === undefined || output === null) counts.skip++;
      else if (output === source) counts.nochange++;
      else {
        if (!options.dry) await writeFileAtomic(file, output);
        counts.ok++;
      }
    } catch {
      // The transform recorded the failure in its side channel; the file is left as it was.
      counts.error++;
    }
  }
  return counts;
}

function addCounts(into: TransformCounts, more: TransformCounts): void {
  into.ok += more.ok;
  into.nochange += more.nochange;
  into.skip += more.skip;
  into.error += more.error;
}

/** Runs one worker thread over `files`; resolves with its counts. */
function runWorker(workerScript: string, transformFile: string, files: readonly string[], options: TransformFilesOptions): Promise<TransformCounts> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerScript, { workerData: { transformFile, files, dry: options.dry, transformOptions: options.transformOptions } });
    let counts: TransformCounts | undefined;
    worker.once('message', (message: TransformCounts) => (counts = message));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (counts) resolve(counts);
      else reject(new WsmigError('CODEMOD_WORKER_FAILED', `a codemod worker exited (code ${code}) before reporting; rerun with fewer files or report this.`));
    });
  });
}

/** Runs the transform in `transformFile` over `files`, in worker threads when asked to. */
export async function transformFiles(transformFile: string, files: readonly string[], options: TransformFilesOptions): Promise<TransformCounts> {
  const workers = Math.min(options.workers, files.length, os.availableParallelism());
  if (workers <= 1 || options.workerScript === undefined) return transformFilesInBand(await loadTransform(transformFile), files, options);
  // Round-robin, so big and small folders spread evenly.
  const shares: string[][] = Array.from({ length: workers }, () => []);
  files.forEach((file, index) => shares[index % workers]?.push(file));
  const counts: TransformCounts = { ok: 0, nochange: 0, skip: 0, error: 0 };
  for (const result of await Promise.all(shares.map((share) => runWorker(options.workerScript as string, transformFile, share, options)))) addCounts(counts, result);
  return counts;
}
