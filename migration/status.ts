/**
 * `wsmig migrate status`: where the timeline stands (day N of the phase's planned days), each
 * phase's steps, the flag in the files and on the service, the service's health, and which gate
 * blocks the next phase.
 */
import { parseDurationMs } from '../lib/duration.js';
import type { MigrationContext } from './context.js';
import { flagInFiles, liveFlagValue } from './flag.js';
import { gateOut, type GateStatus } from './gates.js';
import { stepsOf } from './phase-runner.js';
import { serviceStatus, type ServiceStatus } from './service-command.js';
import { PHASES, type CanaryRecord, type InProgress, type MigrationState, type PhaseName } from './state.js';

const DAY_MS = 86_400_000;

export interface PhaseStatus {
  name: PhaseName;
  status: 'pending' | 'running' | 'done' | 'failed' | 'rolled-back';
  startedAt: string | null;
  completedAt: string | null;
  /** Days into the phase (1-based), while it runs or waits on its gate. */
  day: number | null;
  plannedDays: number;
  stepsDone: number;
  stepsTotal: number;
  forced: { reason: string; at: string; gate: string }[];
}

export interface StatusReport {
  root: string;
  /** The phase the migration is in: the first not done (or `done` when all are). */
  current: PhaseName | 'done';
  timeline: string;
  phases: PhaseStatus[];
  /** The gate out of the current phase (in front of the next one), with what blocks it. */
  nextGate: GateStatus | null;
  flag: { name: string; files: { file: string; value: string | undefined }[]; live: boolean | undefined };
  /** The service's health, and whether wsmig started it and it still runs (see `wsmig migrate service status`). */
  service: ServiceStatus;
  interrupted: InProgress | null;
  commits: MigrationState['commits'];
  lastRollback: MigrationState['rollbacks'][number] | null;
  /** The flag canary, when the migrate phase ran (or runs) one. */
  canary: CanaryStatus | null;
}

export interface CanaryStatus extends CanaryRecord {
  /** The percentage of the step held now (or paused at); null when the canary ended. */
  currentPercentage: number | null;
  /** Until the held step's planned end; null when no step is holding. */
  timeLeftMs: number | null;
}

function canaryStatus(canary: CanaryRecord | null, now: Date): CanaryStatus | null {
  if (canary === null) return null;
  const holding = canary.history.at(-1);
  const open = canary.status === 'running' || canary.status === 'paused';
  return {
    ...canary,
    currentPercentage: open ? (canary.steps[canary.current] ?? null) : null,
    timeLeftMs: canary.status === 'running' && holding?.outcome === 'holding' ? Math.max(0, Date.parse(holding.endsAt) - now.getTime()) : null,
  };
}

/** Builds the status report (reads only). */
export async function migrationStatus(context: MigrationContext): Promise<StatusReport> {
  const service = await serviceStatus(context);
  const state = context.state.get();
  const now = context.clock();
  const phases = PHASES.map((name): PhaseStatus => {
    const record = state.phases[name];
    const plannedMs = parseDurationMs(context.config.timeline[name], `timeline.${name}`);
    const since = name === 'migrate' && state.flagOnAt ? state.flagOnAt : record?.startedAt;
    const active = record && record.status !== 'rolled-back' && (record.status !== 'done' || name === current(state));
    const steps = stepsOf(name, { start: true });
    return {
      name,
      status: record?.status ?? 'pending',
      startedAt: record?.startedAt ?? null,
      completedAt: record?.completedAt ?? null,
      day: active && since ? Math.floor((now.getTime() - Date.parse(since)) / DAY_MS) + 1 : null,
      plannedDays: Math.round((plannedMs / DAY_MS) * 10) / 10,
      stepsDone: record && record.status !== 'rolled-back' ? steps.filter((step) => record.steps[step.id]?.status === 'done').length : 0,
      stepsTotal: steps.length,
      forced: record?.forced ?? [],
    };
  });
  const at = current(state);
  const nextGate = at === 'done' ? null : gateOut(at, state, context.config, now, service.health);
  const files = await flagInFiles(context);
  return {
    root: context.root,
    current: at,
    timeline: PHASES.map((name) => `${name} ${context.config.timeline[name]}`).join(' → '),
    phases,
    nextGate,
    flag: { name: context.config.flag.name, files: files.envValues, live: await liveFlagValue(context) },
    service,
    interrupted: state.inProgress,
    commits: state.commits,
    lastRollback: state.rollbacks.at(-1) ?? null,
    canary: canaryStatus(state.canary, now),
  };
}

/** The phase the migration is in: the last one started and not rolled back, or prepare. */
function current(state: MigrationState): PhaseName | 'done' {
  if (state.phases.stabilize?.status === 'done') return 'done';
  for (const name of [...PHASES].reverse()) {
    const record = state.phases[name];
    if (record && record.status !== 'rolled-back') return name;
  }
  return 'prepare';
}
