/**
 * The gates between phases (issue 5 §2): what must be true to leave a phase. A phase may start
 * when the previous phase's gate is open, or with `--force --reason TEXT` (recorded).
 *
 * - out of prepare: prepare done, the service healthy, the baseline load test passed;
 * - out of migrate: migrate done, the load-test gate passed, and the timeline's migrate duration
 *   passed since the flag went on;
 * - out of stabilize: stabilize done (the migration is complete).
 */
import { formatDurationMs, parseDurationMs } from '../lib/duration.js';
import type { MigrationConfig } from './config.js';
import type { HealthReport } from './service.js';
import type { MigrationState, PhaseName } from './state.js';

export interface GateStatus {
  phase: PhaseName;
  open: boolean;
  /** What keeps it closed, one line each (empty when open). */
  blockers: string[];
}

/** Evaluates the gate out of `phase`. `health` is the service's health now (prepare's gate needs it). */
export function gateOut(phase: PhaseName, state: MigrationState, config: MigrationConfig, now: Date, health: HealthReport | undefined): GateStatus {
  const blockers: string[] = [];
  const record = state.phases[phase];
  if (record?.status !== 'done') blockers.push(`${phase} is not done${record ? ` (${record.status})` : ''}: run \`wsmig migrate phase ${phase}\``);
  if (phase === 'prepare') {
    if (health === undefined) blockers.push('the service health is unknown');
    else if (!health.healthy) blockers.push(`the service is not healthy at ${health.url} (${health.problem ?? 'unknown'})${state.service?.stoppedAt ? `: stopped by \`${state.service.stoppedBy ?? 'wsmig'}\` at ${state.service.stoppedAt}; \`wsmig migrate service start\` starts it again` : ''}`);
    if (state.baseline?.verdict !== 'pass') blockers.push(state.baseline ? `the baseline load test was ${state.baseline.verdict} (${state.baseline.summary})` : 'no baseline load test recorded');
  }
  if (phase === 'migrate') {
    if (state.migrateGate?.verdict !== 'pass') blockers.push(state.migrateGate ? `the load-test gate was ${state.migrateGate.verdict} (${state.migrateGate.summary})` : 'the load-test gate has not passed');
    const minimumMs = parseDurationMs(config.timeline.migrate, 'timeline.migrate');
    if (state.flagOnAt === null) blockers.push(`${config.flag.name} has not been turned on`);
    else {
      const elapsedMs = now.getTime() - Date.parse(state.flagOnAt);
      if (elapsedMs < minimumMs) blockers.push(`the flag has been on for ${formatDurationMs(elapsedMs)} of the ${config.timeline.migrate} the timeline asks (${formatDurationMs(minimumMs - elapsedMs)} to go)`);
    }
  }
  return { phase, open: blockers.length === 0, blockers };
}

/** The phase before `phase`, whose gate must be open to start it; undefined for prepare. */
export function previousPhase(phase: PhaseName): PhaseName | undefined {
  if (phase === 'migrate') return 'prepare';
  if (phase === 'stabilize') return 'migrate';
  return undefined;
}
