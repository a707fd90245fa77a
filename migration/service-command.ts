/**
 * `wsmig migrate service <status|start|stop|restart>`: the WebSocket service between phases.
 * prepare leaves it running detached; these let a person see it, stop it when done, and start it
 * again. wsmig only ever signals the process group it started itself (recorded in the state): a
 * service started any other way is reported, and a stop or restart of it is refused.
 */
import { UsageError, WsmigError } from '../lib/errors.js';
import { endpoints, type MigrationContext } from './context.js';
import { acquireLock } from './lock.js';
import { checkHealth, type HealthReport } from './service.js';
import { managedServiceState, restartManagedService, startManagedService, stopManagedService, type ManagedServiceState } from './service-control.js';
import type { ServiceRecord } from './state.js';

const SERVICE_ACTIONS = ['start', 'stop', 'restart'] as const;
/** What `wsmig migrate service` can do besides `status`. */
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

/** The service wsmig started last, as the state records it, and how its process stands now. */
export interface ManagedServiceStatus {
  pid: number;
  command: string[];
  startedAt: string;
  logFile: string;
  state: ManagedServiceState;
  /** When and by which command wsmig stopped it on purpose (null unless `state` is `stopped`). */
  stoppedAt: string | null;
  stoppedBy: string | null;
}

/** The configured service: does it answer, and is what runs wsmig's? */
export interface ServiceStatus {
  health: HealthReport;
  /** The service wsmig started last; null when it never started one. */
  managed: ManagedServiceStatus | null;
  /**
   * Whose service runs: `wsmig` (the process group wsmig started is alive), `other` (something
   * answers the health URL, but not a process wsmig started), or `none` (nothing answers).
   */
  owner: 'wsmig' | 'other' | 'none';
}

/** What `start`, `stop` or `restart` did. */
export interface ServiceCommandResult {
  action: ServiceAction;
  outcome: 'started' | 'restarted' | 'already-running' | 'stopped' | 'nothing-running';
  /** One sentence for people. */
  message: string;
  /** The service afterwards. */
  service: ServiceStatus;
}

/** Reads the state and asks the health URL (reads only; no lock). */
export async function serviceStatus(context: MigrationContext): Promise<ServiceStatus> {
  const state = await context.state.load();
  return statusOf(state.service, await checkHealth(endpoints(context).health, { credentials: context.credentials }));
}

/**
 * Starts the service as prepare does, unless it already answers healthy. A service wsmig started
 * that runs but is unhealthy is restarted.
 * @throws WsmigError SERVICE_NOT_MANAGED when something wsmig did not start answers unhealthy (a second one would collide with it);
 *   SERVICE_START_FAILED from the start itself; LOCKED when another wsmig run holds the lock.
 */
async function startServiceCommand(context: MigrationContext): Promise<ServiceCommandResult> {
  return underLock(context, 'start', async () => {
    const before = await serviceStatus(context);
    if (before.health.healthy) {
      const whose = before.owner === 'wsmig' ? `started by wsmig, pid ${before.managed?.pid ?? '?'}` : 'not started by wsmig';
      return { action: 'start', outcome: 'already-running', message: `the service already answers ${before.health.url} healthy (${whose}): nothing to start`, service: before };
    }
    if (before.owner === 'other') throw notWsmigs(before, 'start');
    const restarting = before.owner === 'wsmig';
    const record = restarting ? await restartManagedService(context) : await startManagedService(context);
    await context.journal.append({ runId: context.runId, command: 'service start', event: 'service-start', detail: `${restarting ? 'restarted' : 'started'} pid ${record.pid}`, data: { pid: record.pid, command: record.command, ...(restarting ? { replaced: before.managed?.pid, problem: before.health.problem } : {}) } });
    const message = restarting
      ? `the service wsmig started (pid ${before.managed?.pid ?? '?'}) ran but was not healthy (${before.health.problem ?? 'unknown'}): restarted it as pid ${record.pid}; healthy at ${before.health.url}`
      : `started ${JSON.stringify(record.command)} (pid ${record.pid}, log ${record.logFile}); healthy at ${before.health.url}`;
    return { action: 'start', outcome: restarting ? 'restarted' : 'started', message, service: await serviceStatus(context) };
  });
}

/**
 * Stops the process group wsmig started and records it as stopped on purpose. Nothing answering
 * and nothing of wsmig's running is a success with nothing to do.
 * @throws WsmigError SERVICE_NOT_MANAGED when what answers is not a process wsmig started: it is never signalled.
 */
async function stopServiceCommand(context: MigrationContext): Promise<ServiceCommandResult> {
  return underLock(context, 'stop', async () => {
    const before = await serviceStatus(context);
    if (before.owner === 'other') throw notWsmigs(before, 'stop');
    const record = context.state.get().service;
    if (before.owner === 'none' || record === null) {
      return { action: 'stop', outcome: 'nothing-running', message: `nothing to stop: nothing answers ${before.health.url}${before.managed ? ` and ${describeManaged(before.managed)}` : ''}`, service: before };
    }
    const stopped = await stopRecorded(context, record, 'stop');
    const after = await serviceStatus(context);
    const still = after.health.status === 0 ? `nothing answers ${after.health.url} any more` : `but something still answers ${after.health.url}, and it is not a process wsmig started`;
    return { action: 'stop', outcome: 'stopped', message: `the service wsmig started: ${stopped}; ${still}`, service: after };
  });
}

/**
 * Stops the service wsmig started (when it runs) and starts it again; starts it when nothing runs.
 * @throws WsmigError SERVICE_NOT_MANAGED when what answers is not a process wsmig started.
 */
async function restartServiceCommand(context: MigrationContext): Promise<ServiceCommandResult> {
  return underLock(context, 'restart', async () => {
    const before = await serviceStatus(context);
    if (before.owner === 'other') throw notWsmigs(before, 'restart');
    const running = context.state.get().service;
    if (before.owner === 'wsmig' && running !== null) await stopRecorded(context, running, 'restart');
    const record = await startManagedService(context);
    await context.journal.append({ runId: context.runId, command: 'service restart', event: 'service-start', detail: `started pid ${record.pid}`, data: { pid: record.pid, command: record.command } });
    const first = before.owner === 'wsmig' ? `stopped pid ${running?.pid ?? '?'} and started` : 'nothing was running: started';
    return { action: 'restart', outcome: before.owner === 'wsmig' ? 'restarted' : 'started', message: `${first} ${JSON.stringify(record.command)} (pid ${record.pid}, log ${record.logFile}); healthy at ${before.health.url}`, service: await serviceStatus(context) };
  });
}

/** Reads the action of `wsmig migrate service <action>`. */
export function parseServiceAction(text: string): ServiceAction | 'status' {
  if (text === 'status' || (SERVICE_ACTIONS as readonly string[]).includes(text)) return text as ServiceAction | 'status';
  throw new UsageError('UNKNOWN_SERVICE_ACTION', `Unknown action "${text}": use \`wsmig migrate service status\`, \`start\`, \`stop\` or \`restart\`.`);
}

/** Runs `start`, `stop` or `restart`. */
export function runServiceAction(context: MigrationContext, action: ServiceAction): Promise<ServiceCommandResult> {
  if (action === 'start') return startServiceCommand(context);
  if (action === 'stop') return stopServiceCommand(context);
  return restartServiceCommand(context);
}

/** The exit code of `status`: 0 only when the service answers healthy. */
export function serviceStatusExitCode(status: ServiceStatus): number {
  return status.health.healthy ? 0 : 1;
}

/** How the service wsmig started last stands, for people (one clause). */
export function describeManaged(managed: ManagedServiceStatus): string {
  if (managed.state === 'running') return `wsmig started it (pid ${managed.pid}, since ${managed.startedAt})`;
  if (managed.state === 'stopped') return `the service wsmig started (pid ${managed.pid}) was stopped by \`${managed.stoppedBy ?? 'wsmig'}\` at ${managed.stoppedAt ?? '?'}`;
  return `the service wsmig started (pid ${managed.pid}, since ${managed.startedAt}) is no longer running: it exited on its own or was killed outside wsmig (its output: ${managed.logFile})`;
}

function statusOf(record: ServiceRecord | null, health: HealthReport): ServiceStatus {
  const managed: ManagedServiceStatus | null = record
    ? { pid: record.pid, command: record.command, startedAt: record.startedAt, logFile: record.logFile, state: managedServiceState(record), stoppedAt: record.stoppedAt ?? null, stoppedBy: record.stoppedBy ?? null }
    : null;
  const owner = managed?.state === 'running' ? 'wsmig' : health.status !== 0 ? 'other' : 'none';
  return { health, managed, owner };
}

/** Stops the recorded service, journals it, and says how it went. */
async function stopRecorded(context: MigrationContext, record: ServiceRecord, action: 'stop' | 'restart'): Promise<string> {
  const how = await stopManagedService(context, record, `wsmig migrate service ${action}`);
  const detail = how === 'killed' ? `killed pid ${record.pid} (SIGKILL: it did not drain within service.stopTimeout ${context.config.service.stopTimeout})` : how === 'stopped' ? `stopped pid ${record.pid} (SIGTERM, drained)` : `pid ${record.pid} had already exited`;
  await context.journal.append({ runId: context.runId, command: `service ${action}`, event: 'service-stop', detail, data: { pid: record.pid, how } });
  return detail;
}

function notWsmigs(status: ServiceStatus, action: ServiceAction): WsmigError {
  const port = new URL(status.health.url).port || '80';
  const answer = status.health.healthy ? 'answers healthy' : `answers, but not healthy (${status.health.problem ?? 'unknown'})`;
  const ours = status.managed ? `; ${describeManaged(status.managed)}` : '; wsmig never started one here';
  const what = action === 'start'
    ? 'Starting a second one would collide with it: stop or fix that service yourself, then rerun.'
    : `It is not wsmig's to ${action}, so wsmig leaves it alone: ${action} it the way it was started (its process listens on port ${port}, e.g. \`lsof -i :${port}\` finds it).`;
  return new WsmigError('SERVICE_NOT_MANAGED', `A service ${answer} at ${status.health.url}, but wsmig did not start it${ours}. ${what}`, {
    details: { url: status.health.url, managedPid: status.managed?.pid ?? null },
  });
}

async function underLock<T>(context: MigrationContext, action: ServiceAction, run: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(context.paths.lock, { command: `migrate service ${action}`, logger: context.logger, clock: context.clock });
  try {
    return await run();
  } finally {
    await lock.release();
  }
}
