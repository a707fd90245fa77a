/**
 * Text renderings of migration results for people (the CLI prints them; `--json` prints the
 * objects instead).
 */
import { formatDurationMs } from '../lib/duration.js';
import type { ProgressEvent } from './context.js';
import type { GateStatus } from './gates.js';
import type { PhaseReport } from './phase-runner.js';
import type { RollbackResult } from './rollback/rollback.js';
import { describeManaged, type ServiceCommandResult, type ServiceStatus } from './service-command.js';
import type { CanaryStatus, StatusReport } from './status.js';
import type { StepOutcome } from './steps.js';
import type { WatchEvaluation } from './watch/watch.js';

const MARK: Record<ProgressEvent['kind'], string> = {
  'step-start': '…',
  'step-done': '✓',
  'step-skip': '·',
  'step-fail': '✗',
  note: '»',
  warning: '!',
};

/** One progress line (stderr). Step starts are not printed: the outcome line follows. */
export function renderProgress(event: ProgressEvent): string | undefined {
  if (event.kind === 'step-start') return undefined;
  if (event.kind === 'note' || event.kind === 'warning') return `${MARK[event.kind]} ${event.message}`;
  const label = event.kind === 'step-skip' ? 'already done: ' : event.kind === 'step-fail' ? 'FAILED: ' : '';
  return `${MARK[event.kind]} ${event.title ?? event.step ?? ''} — ${label}${event.message}`;
}

/** A plan: every step, whether it is done, and what it would change. */
export function renderPlan(phase: string, outcomes: readonly StepOutcome[]): string {
  const lines = [`Plan of ${phase} (${outcomes.length} steps):`];
  outcomes.forEach((outcome, index) => {
    lines.push(`${String(index + 1).padStart(2)}. ${outcome.title} [${outcome.id}]`);
    if (outcome.status === 'skipped') lines.push(`      already done: ${outcome.detail}`);
    else for (const change of outcome.changes ?? []) lines.push(`      - ${change}`);
  });
  return lines.join('\n');
}

function renderGate(gate: GateStatus): string {
  return gate.open ? `gate out of ${gate.phase}: open` : `gate out of ${gate.phase}: closed\n${gate.blockers.map((line) => `  - ${line}`).join('\n')}`;
}

/** The summary after a phase run. */
export function renderPhaseReport(report: PhaseReport): string {
  const counts = new Map<string, number>();
  for (const outcome of report.outcomes) counts.set(outcome.status, (counts.get(outcome.status) ?? 0) + 1);
  const parts = [...counts].map(([status, count]) => `${count} ${status}`).join(', ');
  const lines = [`${report.phase}: ${report.dryRun ? 'dry run, nothing changed' : report.status} (${parts})`];
  if (report.forcedReason) lines.push(`forced through the closed gate: ${report.forcedReason}`);
  if (report.dryRun) lines.push(renderPlan(report.phase, report.outcomes));
  if (report.rollback) lines.push(renderRollback(report.rollback));
  lines.push(renderGate(report.gateOut));
  lines.push(`next: ${report.next}`);
  return lines.join('\n');
}

/** `migrate status` for people. */
export function renderStatus(status: StatusReport): string {
  const lines = [`wsmig migration in ${status.root}`, `timeline: ${status.timeline}`, `current phase: ${status.current}`, ''];
  for (const phase of status.phases) {
    const day = phase.day !== null ? `, day ${phase.day} of ${phase.plannedDays}` : '';
    const when = phase.completedAt ? `, done ${phase.completedAt}` : phase.startedAt ? `, started ${phase.startedAt}` : '';
    lines.push(`  ${phase.name.padEnd(9)} ${phase.status}${day}${when} (${phase.stepsDone}/${phase.stepsTotal} steps)`);
    for (const forced of phase.forced) lines.push(`            forced through the gate ${forced.gate} at ${forced.at}: ${forced.reason}`);
  }
  lines.push('');
  lines.push(`flag ${status.flag.name}: ${status.flag.files.map((entry) => `${entry.file}=${entry.value ?? '(unset)'}`).join(', ')}; service says ${status.flag.live === undefined ? 'nothing' : String(status.flag.live)}`);
  lines.push(serviceLine(status.service));
  if (status.canary) lines.push(...renderCanaryStatus(status.canary));
  if (status.interrupted) lines.push(`interrupted: ${status.interrupted.command} at step ${status.interrupted.step ?? '(start)'} (run ${status.interrupted.runId}); rerun \`wsmig migrate phase ${status.interrupted.command}\` to finish it`);
  if (status.lastRollback) lines.push(`last rollback: ${status.lastRollback.at}, ${status.lastRollback.verified ? 'verified' : 'NOT verified'} (${status.lastRollback.trigger}); ${status.lastRollback.incident}`);
  if (status.nextGate) lines.push(renderGate(status.nextGate));
  return lines.join('\n');
}

/** The canary's lines of `migrate status`: where it stands, each step's verdict, the time left. */
function renderCanaryStatus(canary: CanaryStatus): string[] {
  const left = canary.timeLeftMs === null ? '' : `, ${formatDurationMs(canary.timeLeftMs)} left in the step`;
  const lines = [`canary ${canary.steps.map((step) => `${step} %`).join(' → ')}: ${canary.status}${canary.currentPercentage === null ? '' : ` at the ${canary.currentPercentage} % step`}${left}`];
  for (const step of canary.history) {
    const answers = step.summary?.configAnswers;
    lines.push(`  ${`${step.percentage} %`.padEnd(6)} ${step.outcome}, ${step.evaluations} evaluation${step.evaluations === 1 ? '' : 's'}${step.last ? `, last ${step.last.status}` : ''}${answers ? `; cohorts: ${answers.ws} on WebSocket, ${answers.sse} on SSE` : ''}`);
  }
  if (canary.report) lines.push(`  report: ${canary.report.replace(/\.json$/, '.md')}`);
  return lines;
}

/** The summary after a rollback. */
export function renderRollback(result: RollbackResult): string {
  if (result.dryRun) return renderPlan('rollback (dry run, nothing changed)', result.outcomes);
  const lines = [result.verified ? 'rollback: verified — the system runs on SSE' : 'rollback: NOT verified — see the failed steps above and the incident report'];
  lines.push(`restore and verify: ${result.restoreAndVerifyMs} ms (service restart excluded: ${result.serviceRestartMs} ms)`);
  if (result.incident) lines.push(`incident report: ${result.incident.markdown}`);
  if (result.restore?.manual.length) lines.push(`manual work left: ${result.restore.manual.map((entry) => `${entry.path} (${entry.why})`).join('; ')}`);
  lines.push('to resume later:', ...result.resume.map((line) => `  - ${line}`));
  return lines.join('\n');
}

/** One watch evaluation for the log. */
export function renderEvaluation(evaluation: WatchEvaluation, failureLimit: number): string {
  const head = `watch #${evaluation.index} ${evaluation.at} ${evaluation.status.toUpperCase()}`;
  if (evaluation.status === 'unreachable') return `${head} (${evaluation.unreachableStreak}/${failureLimit}): ${evaluation.error ?? ''}`;
  const streak = evaluation.status === 'fail' ? ` (${evaluation.breachStreak}/${failureLimit} in a row)` : '';
  const shown = (evaluation.verdict?.thresholds ?? []).filter((outcome) => evaluation.status === 'pass' || outcome.status !== 'pass');
  return `${head}${streak}${shown.map((outcome) => `\n    ${outcome.status.padEnd(12)} ${outcome.metric} ${outcome.expression}: ${outcome.reason}`).join('')}`;
}

/** The service in one line, as `migrate status` shows it. */
function serviceLine(service: ServiceStatus): string {
  const health = service.health.healthy ? 'healthy' : `NOT healthy (${service.health.problem ?? 'unknown'})`;
  const whose = service.owner === 'wsmig' ? ` (started by wsmig, pid ${service.managed?.pid ?? '?'})` : service.owner === 'other' ? ' (not started by wsmig)' : '';
  const history = service.owner !== 'wsmig' && service.managed ? `; ${describeManaged(service.managed)}` : '';
  const hint = service.owner === 'none' ? '; `wsmig migrate service start` starts it' : '';
  return `service: ${health} at ${service.health.url}${whose}${history}${hint}`;
}

/** `migrate service status` for people. */
export function renderServiceStatus(service: ServiceStatus): string {
  const lines = [`service: ${service.health.healthy ? 'healthy' : `NOT healthy (${service.health.problem ?? 'unknown'})`} at ${service.health.url}`];
  const managed = service.managed;
  if (managed) {
    const how = managed.state === 'running' ? 'running' : managed.state === 'stopped' ? `stopped by \`${managed.stoppedBy ?? 'wsmig'}\` at ${managed.stoppedAt ?? '?'}` : 'no longer running: it exited on its own or was killed outside wsmig (see its log)';
    lines.push(`started by wsmig: pid ${managed.pid}, since ${managed.startedAt}; ${how}`, `  command: ${JSON.stringify(managed.command)}`, `  log: ${managed.logFile}`);
  }
  if (service.owner === 'other') lines.push(`what answers was not started by wsmig: \`wsmig migrate service stop\` and \`restart\` leave it alone`);
  if (service.owner === 'none') lines.push(managed ? 'start it again: `wsmig migrate service start`' : 'wsmig has not started the service here: `wsmig migrate service start` starts it');
  return lines.join('\n');
}

/** The outcome of `migrate service start|stop|restart` for people. */
export function renderServiceCommand(result: ServiceCommandResult): string {
  return `${result.action}: ${result.message}`;
}
