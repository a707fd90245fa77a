/**
 * The WebSocket service the migration deploys (seed §3.1: `pnpm run dev:server`). wsmig starts it
 * detached, in its own process group, with its output in `.wsmig/logs/service.log`, so that it
 * outlives the CLI; the pid is kept in the state so later phases and rollback can check, stop and
 * restart it.
 */
import { promises as fs, openSync, closeSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { WsmigError, messageOf } from '../lib/errors.js';
import { formatDurationMs } from '../lib/duration.js';
import type { Logger } from '../lib/logger.js';
import type { ServiceCredentials } from '../scenarios/credentials.js';
import { request } from './http.js';
import { isProcessGroupAlive, mayStillBe, processIdentity } from './process-liveness.js';
import type { ServiceRecord } from './state.js';

export interface HealthReport {
  healthy: boolean;
  url: string;
  status: number;
  /** Why it is not healthy, for people. */
  problem?: string;
  body?: unknown;
}

/** Asks `/health` (with the service's token, when it has one): healthy means a 2xx answer whose `status` (when the body has one) is `ok`. */
export async function checkHealth(url: string, options: { timeoutMs?: number; credentials?: ServiceCredentials } = {}): Promise<HealthReport> {
  const answer = await request(url, { timeoutMs: options.timeoutMs ?? 3_000, ...(options.credentials ? { credentials: options.credentials } : {}) });
  if (answer.status === 0) return { healthy: false, url, status: 0, problem: `no answer (${answer.error ?? 'unknown error'})` };
  if (!answer.ok) return { healthy: false, url, status: answer.status, problem: answer.refusal ?? `HTTP ${answer.status}`, body: answer.json ?? answer.text.slice(0, 200) };
  const status = (answer.json as { status?: unknown } | undefined)?.status;
  if (status !== undefined && status !== 'ok') return { healthy: false, url, status: answer.status, problem: `status "${String(status)}"`, body: answer.json };
  return { healthy: true, url, status: answer.status, body: answer.json };
}

export interface StartServiceOptions {
  command: readonly string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string;
  healthUrl: string;
  startTimeoutMs: number;
  /** Sent with the health checks, for a service whose /health wants its token. */
  credentials?: ServiceCredentials;
  logger: Logger;
  clock?: () => Date;
}

/**
 * Starts the service detached and waits until `/health` answers healthy.
 * @throws WsmigError SERVICE_START_FAILED with the tail of the service log when it exits or stays unhealthy.
 */
export async function startService(options: StartServiceOptions): Promise<ServiceRecord> {
  const [program, ...args] = options.command;
  if (program === undefined) throw new WsmigError('SERVICE_COMMAND_EMPTY', 'service.command in wsmig.config.json is empty: name the program that starts the WebSocket service, e.g. ["npm", "run", "dev:server"].');
  await fs.mkdir(path.dirname(options.logFile), { recursive: true });
  const logStart = await fs.stat(options.logFile).then((stat) => stat.size, () => 0);
  const startedAt = (options.clock ?? (() => new Date()))().toISOString();
  await fs.appendFile(options.logFile, `\n--- wsmig started ${JSON.stringify(options.command)} in ${options.cwd} at ${startedAt} ---\n`);
  const fd = openSync(options.logFile, 'a');
  let exited: { code: number | undefined; message: string } | undefined;
  let pid: number | undefined;
  let identity: string | undefined;
  try {
    const child = spawnDetached(program, args, options.cwd, options.env, fd);
    pid = child.pid;
    if (pid !== undefined) identity = processIdentity(pid);
    child.unref();
    child.once('exit', (code) => {
      exited = { code: code ?? undefined, message: code === null ? 'killed by a signal' : '' };
    });
    child.once('error', (error) => {
      exited = { code: undefined, message: error.message };
    });
  } finally {
    closeSync(fd);
  }
  if (pid === undefined) {
    throw new WsmigError('SERVICE_START_FAILED', `Cannot start ${JSON.stringify(options.command)}: ${exited?.message ?? 'the program could not be spawned'}. Check service.command in wsmig.config.json.`);
  }
  options.logger.debug({ pid, command: options.command, log: options.logFile }, 'started the WebSocket service');
  const deadline = Date.now() + options.startTimeoutMs;
  let last: HealthReport | undefined;
  while (Date.now() < deadline) {
    last = await checkHealth(options.healthUrl, { timeoutMs: 2_000, ...(options.credentials ? { credentials: options.credentials } : {}) });
    if (last.healthy) return { pid, command: [...options.command], startedAt, logFile: options.logFile, ...(identity === undefined ? {} : { identity }) };
    if (exited !== undefined || !isProcessGroupAlive(pid)) break;
    await sleep(200);
  }
  const tail = await logTail(options.logFile, logStart);
  const stillRunning = isProcessGroupAlive(pid);
  if (stillRunning) await stopProcessGroup(pid, 5_000);
  const why = stillRunning
    ? `it did not answer ${options.healthUrl} healthy within ${formatDurationMs(options.startTimeoutMs)} (${last?.problem ?? 'no answer'}), so wsmig stopped it again`
    : `it exited${exited?.code === undefined ? '' : ` with code ${exited.code}`} before answering ${options.healthUrl}`;
  throw new WsmigError('SERVICE_START_FAILED', `The WebSocket service ${JSON.stringify(options.command)} did not start: ${why}. Its output (${options.logFile}):\n${tail || '(empty)'}\nFix the command or the port in wsmig.config.json (service.command, service.baseUrl), or start the service yourself and rerun with --no-start.`, {
    details: { pid, log: options.logFile },
  });
}

/** Spawns a program in its own process group, its output appended to an open file, not tied to this process. */
function spawnDetached(program: string, args: string[], cwd: string, env: Record<string, string>, fd: number) {
  // execa hands any integer file descriptor to the child (the file, not a pipe through this
  // process, so the output keeps flowing after the CLI exits); its types only list 3–9.
  const logFd = fd as 3;
  return execa(program, args, { cwd, env, detached: true, cleanup: false, reject: false, stdin: 'ignore', stdout: logFd, stderr: logFd });
}

/** Whether the process group wsmig started is still alive (and its pid not since reused by another process). */
export function serviceAlive(record: ServiceRecord): boolean {
  if (record.identity !== undefined && !mayStillBe(record.pid, record.identity)) return false;
  return isProcessGroupAlive(record.pid);
}

/** Stops a process group: SIGTERM (the service drains), then SIGKILL after `timeoutMs`. */
export async function stopProcessGroup(pgid: number, timeoutMs: number): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isProcessGroupAlive(pgid)) return 'not-running';
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessGroupAlive(pgid)) return 'stopped';
    await sleep(100);
  }
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline && isProcessGroupAlive(pgid)) await sleep(50);
  return 'killed';
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw new WsmigError('SERVICE_STOP_FAILED', `Cannot signal the service (process group ${pgid}): ${messageOf(error)}.`, { cause: error });
  }
}

async function logTail(file: string, from: number, maxBytes = 4_000): Promise<string> {
  try {
    const data = await fs.readFile(file);
    const slice = data.subarray(Math.max(from, data.length - maxBytes));
    return slice.toString('utf8').trim();
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
