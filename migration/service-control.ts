/**
 * The service as the phases and rollback see it: is it healthy, did wsmig start it, and (only
 * when wsmig started it) start, stop or restart it.
 */
import { parseDurationMs } from '../lib/duration.js';
import { WsmigError } from '../lib/errors.js';
import { endpoints, inRepo, type MigrationContext } from './context.js';
import { checkHealth, serviceAlive, startService, stopProcessGroup, type HealthReport } from './service.js';
import type { ServiceRecord } from './state.js';

export interface ServiceView {
  health: HealthReport;
  /** The service wsmig started, when it did and it is still running. */
  managed: ServiceRecord | undefined;
}

/** Asks the service for its health and looks up whether wsmig started it. */
export async function viewService(context: MigrationContext): Promise<ServiceView> {
  const health = await checkHealth(endpoints(context).health, { credentials: context.credentials });
  const record = context.state.get().service;
  return { health, managed: record && serviceAlive(record) ? record : undefined };
}

/** Starts the configured service command detached and records it in the state. */
export async function startManagedService(context: MigrationContext): Promise<ServiceRecord> {
  const { service } = context.config;
  const record = await startService({
    command: service.command,
    cwd: inRepo(context, service.cwd),
    env: service.env,
    logFile: context.paths.serviceLog,
    healthUrl: endpoints(context).health,
    startTimeoutMs: parseDurationMs(service.startTimeout, 'service.startTimeout'),
    credentials: context.credentials,
    logger: context.logger,
    clock: context.clock,
  });
  await context.state.update((state) => {
    state.service = record;
  });
  return record;
}

/**
 * How the service wsmig started last stands: its process group `running`, `stopped` on purpose by
 * wsmig, or `exited` on its own (a crash, or a kill from outside wsmig).
 */
export type ManagedServiceState = 'running' | 'stopped' | 'exited';

export function managedServiceState(record: ServiceRecord): ManagedServiceState {
  if (serviceAlive(record)) return 'running';
  return record.stoppedAt === undefined ? 'exited' : 'stopped';
}

/**
 * Stops the process group wsmig started (SIGTERM, up to `service.stopTimeout` to drain, then
 * SIGKILL) and records in the state that it was stopped on purpose, and by which command, so that
 * status does not take it for a crash. Only for a record whose process {@link serviceAlive} says is wsmig's.
 */
export async function stopManagedService(context: MigrationContext, record: ServiceRecord, stoppedBy: string): Promise<'stopped' | 'killed' | 'not-running'> {
  const how = await stopProcessGroup(record.pid, stopTimeoutMs(context));
  context.logger.debug({ pid: record.pid, how }, 'stopped the WebSocket service');
  await context.state.update((state) => {
    if (state.service?.pid !== record.pid) return;
    state.service.stoppedAt = context.clock().toISOString();
    state.service.stoppedBy = stoppedBy;
  });
  return how;
}

/** Stops the service wsmig started (if it still runs) and starts it again. */
export async function restartManagedService(context: MigrationContext): Promise<ServiceRecord> {
  const record = context.state.get().service;
  if (record && serviceAlive(record)) {
    const how = await stopProcessGroup(record.pid, stopTimeoutMs(context));
    context.logger.debug({ pid: record.pid, how }, 'stopped the WebSocket service');
  }
  return startManagedService(context);
}

function stopTimeoutMs(context: MigrationContext): number {
  return parseDurationMs(context.config.service.stopTimeout, 'service.stopTimeout');
}

/**
 * Makes sure the service answers healthy: with `mayStart`, starts it when nothing answers, and
 * restarts the one wsmig started when it is unhealthy; otherwise only checks.
 * @throws WsmigError SERVICE_UNHEALTHY when it is not healthy and wsmig may not (or cannot) fix it.
 */
export async function ensureServiceHealthy(context: MigrationContext, options: { mayStart: boolean }): Promise<string> {
  const view = await viewService(context);
  if (view.health.healthy) {
    return view.managed ? `healthy at ${view.health.url} (started by wsmig, pid ${view.managed.pid})` : `healthy at ${view.health.url}`;
  }
  if (options.mayStart) {
    const record = view.managed ? await restartManagedService(context) : await startManagedService(context);
    return `${view.managed ? 'restarted' : 'started'} ${JSON.stringify(record.command)} (pid ${record.pid}, log ${context.paths.serviceLog}); healthy at ${view.health.url}`;
  }
  throw new WsmigError(
    'SERVICE_UNHEALTHY',
    `The WebSocket service is not healthy at ${view.health.url} (${view.health.problem ?? 'unknown'}). ${view.managed ? `wsmig started it (pid ${view.managed.pid}); see ${context.paths.serviceLog}.` : 'Start it (service.command in wsmig.config.json), then rerun.'}`,
  );
}
