/**
 * What every phase, step and rollback works with: the repository, its config, wsmig's state and
 * journal, git, a logger and a clock. Built once per command by {@link openContext}.
 */
import path from 'node:path';
import type { Logger } from '../lib/logger.js';
import { newRunId } from '../lib/run-id.js';
import { findRepoRoot, loadConfig, serviceUrl, type MigrationConfig } from './config.js';
import { resolveServiceCredentials, type ServiceCredentials } from './credentials.js';
import { Git } from './git.js';
import { Journal } from './journal.js';
import { wsmigPaths, type WsmigPaths } from './paths.js';
import { StateStore } from './state.js';

/** Progress a long command reports to the person running it (the CLI prints these on stderr). */
export interface ProgressEvent {
  kind: 'step-start' | 'step-done' | 'step-skip' | 'step-fail' | 'note' | 'warning';
  step?: string;
  title?: string;
  message: string;
}

export interface MigrationContext {
  /** Repository root: the folder holding wsmig.config.json. */
  root: string;
  configFile: string;
  config: MigrationConfig;
  /** The service's tokens (service.tokenEnv / adminTokenEnv / tokenFile / adminTokenFile), sent by every request to it. */
  credentials: ServiceCredentials;
  paths: WsmigPaths;
  state: StateStore;
  journal: Journal;
  git: Git;
  logger: Logger;
  clock: () => Date;
  /** Identifies this run in the journal. */
  runId: string;
  progress: (event: ProgressEvent) => void;
}

export interface OpenContextOptions {
  /** Where to start looking for wsmig.config.json (default: the working directory). */
  cwd?: string;
  logger: Logger;
  clock?: () => Date;
  progress?: (event: ProgressEvent) => void;
  /** Where the token variables are read (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
}

/** Finds the repository, loads and validates its config, reads the service's credentials, and prepares state, journal and git. */
export async function openContext(options: OpenContextOptions): Promise<MigrationContext> {
  const clock = options.clock ?? (() => new Date());
  const root = await findRepoRoot(options.cwd ?? process.cwd());
  const { file, config } = await loadConfig(root);
  const credentials = await resolveServiceCredentials(config, root, options.env ?? process.env);
  const paths = wsmigPaths(root);
  return {
    root,
    configFile: file,
    config,
    credentials,
    paths,
    state: new StateStore(paths.state, clock),
    journal: new Journal(paths.journal, clock),
    git: new Git(root),
    logger: options.logger,
    clock,
    runId: newRunId(clock()),
    progress: options.progress ?? (() => undefined),
  };
}

/** A config path resolved against the repository root. */
export function inRepo(context: Pick<MigrationContext, 'root'>, relative: string): string {
  return path.resolve(context.root, relative);
}

/** A path made relative to the repository root, with forward slashes (as git prints it). */
export function relativeToRepo(context: Pick<MigrationContext, 'root'>, absolute: string): string {
  return path.relative(context.root, absolute).split(path.sep).join('/');
}

/** The service's endpoint URLs from the config. */
export function endpoints(context: Pick<MigrationContext, 'config'>): Record<'health' | 'metrics' | 'config' | 'flag' | 'faults' | 'sse', string> {
  const { config } = context;
  return {
    health: serviceUrl(config, 'health'),
    metrics: serviceUrl(config, 'metrics'),
    config: serviceUrl(config, 'config'),
    flag: serviceUrl(config, 'flag'),
    faults: serviceUrl(config, 'faults'),
    sse: serviceUrl(config, 'sse'),
  };
}
