/**
 * The load tests of the phases: prepare's baseline and migrate's gate. Both are `wsmig load run`
 * (the same scenarios, engine, thresholds and report folders) against the service the migration
 * deploys; the verdict is recorded in the state, and anything but a pass stops the phase (exit 99
 * for a breach, 98 when inconclusive).
 */
import path from 'node:path';
import { ExitCode, WsmigError } from '../lib/errors.js';
import { runLoad } from '../scenarios/load-run.js';
import type { KnobOverride } from '../scenarios/catalog/index.js';
import { inRepo, relativeToRepo, type MigrationContext } from './context.js';
import type { GateRecord } from './state.js';

export type LoadGatePurpose = 'baseline' | 'gate';

function overridesOf(context: MigrationContext): KnobOverride[] {
  const { loadTest } = context.config;
  const source = 'wsmig.config.json loadTest';
  const overrides: KnobOverride[] = [{ knob: 'duration', value: loadTest.duration, source: `${source}.duration` }];
  if (loadTest.connections !== undefined) overrides.push({ knob: 'connections', value: String(loadTest.connections), source: `${source}.connections` });
  if (loadTest.rate !== undefined) overrides.push({ knob: 'rate', value: String(loadTest.rate), source: `${source}.rate` });
  for (const [key, value] of Object.entries(loadTest.set)) {
    const dot = key.indexOf('.');
    overrides.push(dot > 0 ? { scenario: key.slice(0, dot), knob: key.slice(dot + 1), value: String(value), source: `${source}.set` } : { knob: key, value: String(value), source: `${source}.set` });
  }
  return overrides;
}

function thresholdsOf(context: MigrationContext): string | undefined {
  return context.config.thresholds === null ? undefined : inRepo(context, context.config.thresholds);
}

/** One line for plans: what the load test will run. */
export function describeLoadGate(context: MigrationContext, purpose: LoadGatePurpose): string {
  const { loadTest, thresholds, wsEndpoint } = context.config;
  return `wsmig load run ${loadTest.scenarios.join(' ')} --target ${wsEndpoint.value} --duration ${loadTest.duration} against ${thresholds ?? 'the default rollback thresholds'}; report in .wsmig/reports/${purpose}/; ${purpose === 'baseline' ? 'the baseline must pass' : 'the gate must pass'}`;
}

/**
 * Runs the load test, records its verdict in the state, and throws unless it passed.
 * @throws WsmigError LOAD_GATE_FAILED (exit 99) or LOAD_GATE_INCONCLUSIVE (exit 98).
 */
export async function runLoadGate(context: MigrationContext, purpose: LoadGatePurpose): Promise<GateRecord> {
  const outDir = path.join(context.paths.reports, purpose);
  const outcome = await runLoad({
    scenarios: context.config.loadTest.scenarios,
    target: context.config.wsEndpoint.value,
    overrides: overridesOf(context),
    ...(thresholdsOf(context) === undefined ? {} : { thresholdsFile: thresholdsOf(context) as string }),
    outDir,
    credentials: context.credentials,
    logger: context.logger,
    onNotice: (text) => context.progress({ kind: 'note', message: text }),
  });
  const failed = outcome.reports.flatMap((report) => (report.result.verdict?.thresholds ?? []).filter((threshold) => threshold.status !== 'pass'));
  const reportDir = outcome.reports[0] ? relativeToRepo(context, outcome.reports[0].reportDir) : null;
  const summary = outcome.status === 'pass'
    ? `every threshold passed (${reportDir ?? 'no report'})`
    : `${failed.map((threshold) => `${threshold.metric} ${threshold.expression}: ${threshold.status} (${threshold.reason})`).join('; ')} (${reportDir ?? 'no report'})`;
  const record: GateRecord = { verdict: outcome.status, reportDir, at: context.clock().toISOString(), summary };
  await context.state.update((state) => {
    if (purpose === 'baseline') state.baseline = record;
    else state.migrateGate = record;
  });
  if (outcome.status === 'fail') {
    throw new WsmigError('LOAD_GATE_FAILED', `The ${purpose === 'baseline' ? 'baseline load test' : 'load-test gate'} failed: ${summary}. Fix the service (or the thresholds, if they are wrong for it) and rerun: finished steps are skipped.`, { exitCode: ExitCode.thresholdsBreached });
  }
  if (outcome.status === 'inconclusive') {
    throw new WsmigError('LOAD_GATE_INCONCLUSIVE', `The ${purpose === 'baseline' ? 'baseline load test' : 'load-test gate'} was inconclusive, which is not a pass: ${summary}. Run it longer (loadTest.duration) or with thresholds this run can measure, then rerun.`, { exitCode: ExitCode.inconclusive });
  }
  return record;
}
