/**
 * `wsmig load run`: resolves the target (an external URL, or the embedded reference server started
 * as a child process), runs the scenarios in order (http-under-load concurrently with a WebSocket
 * scenario), scrapes the server's /metrics meanwhile, reports progress, honours `abortOnFail`,
 * evaluates the thresholds on the merged Result, and writes the report folder. With no scenario it
 * is the pre-rollout check: short runs of latency, reconnect-storm and sync-progress.
 */
import { newRunId } from '../lib/run-id.js';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { packageVersion } from '../lib/package-info.js';
import { runFolderName } from '../reports/run-folder.js';
import { writeReport } from '../reports/index.js';
import {
  PRE_ROLLOUT_CHECK,
  SCENARIOS,
  checkOverridesApply,
  resolveScenarioOptions,
  scenarioByName,
  type KnobOverride,
  type ScenarioDefinition,
  type ScenarioOptions,
} from './catalog/index.js';
import { createAutocannonEngine } from './engines/autocannon/engine.js';
import { findK6Binary } from './engines/k6/k6-binary.js';
import { runK6Scenario } from './engines/k6/run.js';
import { createNativeEngine } from './engines/native/engine.js';
import type { Engine, EngineOutcome, HttpWorkload, SseWorkload, WsWorkload } from './engines/types.js';
import { histogramOf, newHistogram } from './result/histogram.js';
import { METRIC_CATALOG } from './result/metric-catalog.js';
import { MetricsRecorder, buildResult, mergeSnapshots, type RecorderSnapshot } from './result/recorder.js';
import type { EngineName, GeneratorHealth, Result, ScenarioRun, ThresholdOutcome, Verdict } from './result/types.js';
import { ServerMetricsScraper } from './server-metrics.js';
import { ServiceCredentials } from './credentials.js';
import type { LoadedProfile } from './profiles/load-profile.js';
import { checkProfileFits, withProfile } from './profiles/run-fit.js';
import { connectExternalTarget, startEmbeddedTarget, type LoadTarget } from './target.js';
import { applicableThresholds, defaultThresholdsFile, evaluateThresholds, readThresholdsFile, shouldAbort, type ThresholdSet } from './thresholds/index.js';

/** Engines a user can ask for. */
export const ENGINE_NAMES = ['native', 'k6', 'autocannon'] as const;
export type RunnableEngine = (typeof ENGINE_NAMES)[number];

/** The series interval of every run (and the progress cadence). */
const INTERVAL_MS = 1_000;

/** What to run. */
export interface LoadRunRequest {
  /** Scenario names in order; empty for the pre-rollout check. */
  scenarios: readonly string[];
  /** WebSocket URL of an external target; absent to start the embedded reference server. */
  target?: string;
  /** Engine for every scenario; absent: each scenario's default. */
  engine?: RunnableEngine;
  /** The target's protocol (`--profile`); absent: wsmig's own envelope. */
  profile?: LoadedProfile;
  overrides: readonly KnobOverride[];
  /** Thresholds file; absent: the default rollback thresholds. */
  thresholdsFile?: string;
  /** Where run folders are written. */
  outDir: string;
  /** Native engine worker threads (default one per core). */
  workers?: number;
  /**
   * The service's tokens: every engine sends them (`Authorization: Bearer`, the admin token to
   * `/admin/*`), and the embedded server asks for exactly these. Default: none.
   */
  credentials?: ServiceCredentials;
  logger: Logger;
  /** Ctrl-C: stop early, still evaluate and write what was measured. */
  signal?: AbortSignal;
  /** Live progress, about once a second. */
  onProgress?: (progress: LoadProgress) => void;
  /** One-off notices for people ("starting the embedded server"). */
  onNotice?: (text: string) => void;
}

/** What the progress line shows. */
export interface LoadProgress {
  scenarios: string[];
  elapsedMs: number;
  /** Planned duration of the current step. */
  plannedMs: number;
  openConnections: number;
  /** p99 of the latest complete interval of the headline latency metric, ms. */
  p99Ms: number | undefined;
  p99Metric: string | undefined;
}

/** One report written. */
export interface LoadRunReport {
  result: Result;
  reportDir: string;
}

export interface LoadRunOutcome {
  reports: LoadRunReport[];
  /** The worst verdict over the reports: fail beats inconclusive beats pass. */
  status: Verdict['status'];
}

/** One scenario of a plan, with its options resolved. */
export interface PlannedScenario {
  definition: ScenarioDefinition;
  options: ScenarioOptions;
  engine: RunnableEngine;
}

/** Scenarios that run at the same time. */
export interface PlannedStep {
  scenarios: PlannedScenario[];
}

/**
 * Turns scenario names, an engine and knob overrides into steps: one per scenario, except that a
 * scenario that `runsBeside` another (http-under-load) shares a step with it — the one named on the
 * command line, or one with its defaults and the same duration. No names: the pre-rollout check.
 * @throws UsageError for an unknown scenario, a bad knob, or an engine a scenario cannot run on.
 */
export function planLoadRun(names: readonly string[], engine: RunnableEngine | undefined, overrides: readonly KnobOverride[]): PlannedStep[] {
  const preRollout = names.length === 0;
  const picked = preRollout ? PRE_ROLLOUT_CHECK.map((entry) => ({ definition: scenarioByName(entry.scenario), base: entry.overrides })) : dedupe(names).map((name) => ({ definition: scenarioByName(name), base: {} }));
  const partners = picked.flatMap((p) => (p.definition.runsBeside === undefined ? [] : [scenarioByName(p.definition.runsBeside)]));
  checkOverridesApply([...picked.map((p) => p.definition), ...partners], overrides);
  const plan = (definition: ScenarioDefinition, base: Readonly<Record<string, string>>, explicitEngine: RunnableEngine | undefined): PlannedScenario => {
    const chosen = explicitEngine ?? (definition.engines[0] as RunnableEngine);
    if (!definition.engines.includes(chosen)) {
      throw new UsageError('ENGINE_UNSUPPORTED', `Scenario "${definition.name}" runs on ${definition.engines.join(' or ')}, not ${chosen}: drop --engine or pick one of those.`);
    }
    return { definition, options: resolveScenarioOptions(definition, overrides, base), engine: chosen };
  };
  const steps: PlannedStep[] = [];
  // A scenario another one runs beside is run in that one's step, not on its own.
  const consumed = new Set(picked.flatMap((p) => (p.definition.runsBeside === undefined ? [] : [p.definition.runsBeside])));
  for (const { definition, base } of picked) {
    if (consumed.has(definition.name)) continue;
    const main = plan(definition, base, engine);
    const besideName = definition.runsBeside;
    if (besideName === undefined) {
      steps.push({ scenarios: [main] });
      continue;
    }
    const named = picked.find((p) => p.definition.name === besideName);
    const beside = named
      ? plan(named.definition, named.base, undefined)
      : plan(scenarioByName(besideName), { duration: `${String(main.options['durationMs'])}ms` }, undefined);
    steps.push({ scenarios: [beside, main] });
  }
  if (engine === 'k6' && steps.some((step) => step.scenarios.length > 1)) {
    throw new UsageError('ENGINE_UNSUPPORTED', 'http-under-load runs autocannon beside a native WebSocket scenario; it cannot run with --engine k6.');
  }
  return steps;
}

/**
 * Runs a load test and writes its report(s).
 * @throws UsageError (exit 2) for bad input or an unreachable target; WsmigError when the run itself fails.
 */
export async function runLoad(request: LoadRunRequest): Promise<LoadRunOutcome> {
  const steps = planLoadRun(request.scenarios, request.engine, request.overrides);
  checkProfileFits(
    steps.flatMap((step) => step.scenarios.map((scenario) => scenario.definition.name)),
    { profile: request.profile, hasTarget: request.target !== undefined, engine: request.engine, preRolloutCheck: request.scenarios.length === 0 },
  );
  const thresholds = await readThresholdsFile(request.thresholdsFile ?? defaultThresholdsFile());
  if (request.engine === 'k6') await findK6Binary();
  const needsWebSocket = steps.some((step) => step.scenarios.some((scenario) => scenario.definition.transport !== 'http'));
  const target = await resolveTarget(request, needsWebSocket);
  try {
    if (request.engine === 'k6') return await runWithK6(steps, target, thresholds, request);
    return await runInProcess(steps, target, thresholds, request);
  } finally {
    await target.close();
  }
}

async function resolveTarget(request: LoadRunRequest, needsWebSocket: boolean): Promise<LoadTarget> {
  const credentials = request.credentials ?? ServiceCredentials.none();
  if (request.target !== undefined) return connectExternalTarget(request.target, { credentials, needsWebSocket });
  request.onNotice?.('starting the embedded reference server (wsmig server) …');
  return startEmbeddedTarget({ credentials });
}

async function runInProcess(steps: readonly PlannedStep[], target: LoadTarget, thresholds: ThresholdSet, request: LoadRunRequest): Promise<LoadRunOutcome> {
  const runId = newRunId();
  const startMs = Date.now();
  const recorder = new MetricsRecorder({ startMs, intervalMs: INTERVAL_MS });
  const runAbort = new AbortController();
  const onUserAbort = (): void => runAbort.abort();
  request.signal?.addEventListener('abort', onUserAbort, { once: true });
  const engines = {
    native: createNativeEngine(request.workers === undefined ? {} : { workers: request.workers }),
    autocannon: createAutocannonEngine(),
  };
  const abortThresholds = thresholds.definitions.filter((definition) => definition.abortOnFail);
  const finished: RecorderSnapshot[] = [];
  const runs: ScenarioRun[] = [];
  const outcomes: { scenario: string; outcome: EngineOutcome }[] = [];
  const warnings: string[] = [];
  let abortedBy: string | undefined;
  const metaFor = (endMs: number, generator: GeneratorHealth | null): Parameters<typeof buildResult>[1] => ({
    runId,
    tool: { name: 'wsmig', version: packageVersion() },
    engine: runEngineOf(steps),
    scenarios: runs,
    target: { url: request.target ?? target.wsUrl, embedded: target.embedded },
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(endMs).toISOString(),
    durationMs: endMs - startMs,
    generator,
    environment: environment(),
    source: null,
    warnings,
  });

  try {
    for (const step of steps) {
      if (runAbort.signal.aborted) break;
      const names = step.scenarios.map((s) => s.definition.name);
      const stepStart = Date.now();
      const primary = step.scenarios[0] as PlannedScenario;
      const scraper = new ServerMetricsScraper({
        metricsUrl: `${target.httpUrl}/metrics`,
        headers: target.credentials.headers('service'),
        recorder,
        tags: { scenario: primary.definition.name },
        intervalMs: INTERVAL_MS,
        expectedOutage: () => target.restarting,
      });
      scraper.start();
      const latest = new Map<string, RecorderSnapshot>();
      const open = new Map<string, number>();
      const stepAbort = new AbortController();
      const onRunAbort = (): void => stepAbort.abort();
      runAbort.signal.addEventListener('abort', onRunAbort, { once: true });
      const plannedMs = Math.max(...step.scenarios.map((s) => s.options['durationMs'] as number));
      const ticker = setInterval(() => {
        const stepSnapshots = [...latest.values()];
        request.onProgress?.({
          scenarios: names,
          elapsedMs: Date.now() - stepStart,
          plannedMs,
          openConnections: [...open.values()].reduce((a, b) => a + b, 0),
          ...(stepSnapshots.length > 0 ? currentP99(mergeSnapshots(stepSnapshots)) : { p99Ms: undefined, p99Metric: undefined }),
        });
        if (abortThresholds.length > 0 && abortedBy === undefined) {
          const merged = mergeSnapshots([recorder.snapshot(), ...finished, ...stepSnapshots]);
          const decision = shouldAbort(buildResult(merged, metaFor(Date.now(), null)), abortThresholds, Date.now() - startMs);
          if (decision.abort) {
            abortedBy = decision.by;
            request.onNotice?.(`aborting: threshold ${decision.by} failed (abortOnFail): ${decision.outcome.reason}`);
            runAbort.abort();
          }
        }
      }, INTERVAL_MS);
      let stepOutcomes: { scenario: PlannedScenario; outcome: EngineOutcome }[];
      try {
        stepOutcomes = await runConcurrently(step.scenarios, (scenario) => {
          const engine = (scenario.engine === 'native' ? engines.native : engines.autocannon) as Engine<WsWorkload | HttpWorkload | SseWorkload>;
          return engine.run(scenario.definition.name, withProfile(scenario.definition.name, scenario.definition.workload(scenario.options), request.profile), {
            runId,
            startMs,
            intervalMs: INTERVAL_MS,
            target,
            signal: stepAbort.signal,
            logger: request.logger,
            onProgress: (progress) => {
              latest.set(scenario.definition.name, progress.snapshot);
              open.set(scenario.definition.name, progress.openConnections);
            },
          });
        }, stepAbort);
      } finally {
        clearInterval(ticker);
        runAbort.signal.removeEventListener('abort', onRunAbort);
        await scraper.stop();
      }
      const stepEnd = Date.now();
      if (names.includes('soak')) {
        const slope = scraper.rssGrowthBytesPerMinute();
        if (slope !== undefined) recorder.gauge('server_rss_growth_bytes_per_minute', { scenario: 'soak' }).set(slope, stepEnd);
      }
      warnings.push(...scraper.warnings());
      if (target.problem) warnings.push(target.problem);
      for (const { scenario, outcome } of stepOutcomes) {
        finished.push(outcome.snapshot);
        outcomes.push({ scenario: scenario.definition.name, outcome });
        warnings.push(...outcome.warnings);
        runs.push({
          name: scenario.definition.name,
          engine: scenario.engine,
          options: { ...scenario.options, ...outcome.effective },
          startOffsetMs: stepStart - startMs,
          durationMs: stepEnd - stepStart,
        });
      }
    }
  } finally {
    request.signal?.removeEventListener('abort', onUserAbort);
  }
  if (request.signal?.aborted && abortedBy === undefined) warnings.push('The run was interrupted before its end: the Result covers only what ran.');
  const generator = combineGenerators(outcomes);
  const result = buildResult(mergeSnapshots([recorder.snapshot(), ...finished]), metaFor(Date.now(), generator));
  const report = await judgeAndWrite(result, thresholds, runs.map((r) => r.name), abortedBy, request.outDir);
  return { reports: [report], status: report.result.verdict?.status ?? 'inconclusive' };
}

async function runWithK6(steps: readonly PlannedStep[], target: LoadTarget, thresholds: ThresholdSet, request: LoadRunRequest): Promise<LoadRunOutcome> {
  const reports: LoadRunReport[] = [];
  for (const step of steps) {
    if (request.signal?.aborted) break;
    const scenario = step.scenarios[0] as PlannedScenario;
    const name = scenario.definition.name;
    const startMs = Date.now();
    const recorder = new MetricsRecorder({ startMs, intervalMs: INTERVAL_MS });
    const scraper = new ServerMetricsScraper({ metricsUrl: `${target.httpUrl}/metrics`, headers: target.credentials.headers('service'), recorder, tags: { scenario: name }, intervalMs: INTERVAL_MS, expectedOutage: () => target.restarting });
    scraper.start();
    let imported: Result;
    try {
      imported = await runK6Scenario(name, {
        target: { wsUrl: target.wsUrl, httpUrl: target.httpUrl, embedded: target.embedded },
        credentials: target.credentials,
        options: scenario.options,
        ...(request.profile === undefined ? {} : { profile: request.profile }),
        thresholdsFile: thresholds.source ?? undefined,
        ...(request.signal ? { signal: request.signal } : {}),
        logger: request.logger,
      });
    } finally {
      await scraper.stop();
    }
    const server = buildResult(recorder.snapshot(), {
      runId: imported.runId,
      tool: imported.tool,
      engine: 'k6',
      scenarios: imported.scenarios,
      target: imported.target,
      startedAt: new Date(startMs).toISOString(),
      endedAt: new Date().toISOString(),
      durationMs: Date.now() - startMs,
      generator: null,
      environment: imported.environment,
      source: null,
      warnings: [],
    });
    // k6 measures the client side; the server_* figures come from wsmig's own scrape of /metrics.
    const result: Result = { ...imported, metrics: [...imported.metrics, ...server.metrics], warnings: [...imported.warnings, ...scraper.warnings()] };
    reports.push(await judgeAndWrite(result, thresholds, [name], undefined, request.outDir));
  }
  return { reports, status: worstStatus(reports.map((r) => r.result.verdict?.status ?? 'inconclusive')) };
}

/** Runs scenarios at the same time; when one fails, the others are stopped and the failure thrown. */
async function runConcurrently(
  scenarios: readonly PlannedScenario[],
  run: (scenario: PlannedScenario) => Promise<EngineOutcome>,
  abort: AbortController,
): Promise<{ scenario: PlannedScenario; outcome: EngineOutcome }[]> {
  const settled = await Promise.allSettled(
    scenarios.map((scenario) =>
      run(scenario).catch((error: unknown) => {
        abort.abort();
        throw error;
      }),
    ),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s, i) => ({ scenario: scenarios[i] as PlannedScenario, outcome: (s as PromiseFulfilledResult<EngineOutcome>).value }));
}

/**
 * Evaluates the thresholds that apply to the run's scenarios, makes a run whose generator was
 * unhealthy inconclusive (never a pass), and writes the report folder.
 */
async function judgeAndWrite(result: Result, thresholds: ThresholdSet, scenarios: readonly string[], abortedBy: string | undefined, outDir: string): Promise<LoadRunReport> {
  const measured = new Set<string>(result.metrics.map((metric) => metric.name));
  for (const name of scenarios) for (const metric of scenarioByName(name).metrics) measured.add(metric);
  const known = new Set(METRIC_CATALOG.map((definition) => definition.name));
  // A name outside the catalog is most likely a typo: keep it, so it is inconclusive with a "did you mean".
  for (const definition of thresholds.definitions) if (!known.has(definition.metric)) measured.add(definition.metric);
  const { applicable, skipped } = applicableThresholds(thresholds.definitions, { scenarios, measuredMetrics: [...measured] });
  const warnings = [...result.warnings];
  if (skipped.length > 0) {
    warnings.push(`Thresholds not evaluated, as nothing in this run measures them: ${skipped.map((s) => `${s.definition.selector} ${s.definition.expression} (${s.why})`).join('; ')}.`);
  }
  let verdict = evaluateThresholds(result, applicable, { source: thresholds.source, ...(abortedBy === undefined ? {} : { abortedBy }) });
  verdict = withGeneratorHealth(verdict, result.generator);
  const judged: Result = { ...result, warnings, verdict };
  const reportDir = path.join(outDir, runFolderName(judged));
  await writeReport(judged, reportDir);
  return { result: judged, reportDir };
}

/**
 * Adds the generator's own health to a verdict: problems make it inconclusive (a fail stays a fail),
 * since an overloaded generator measured itself as much as the server.
 */
export function withGeneratorHealth(verdict: Verdict, generator: GeneratorHealth | null): Verdict {
  if (generator === null || generator.problems.length === 0) return verdict;
  const outcome: ThresholdOutcome = {
    metric: 'generator',
    expression: 'healthy',
    status: 'inconclusive',
    observed: null,
    samples: 0,
    window: null,
    abortOnFail: false,
    reason: `the load generator was not healthy, so this run cannot pass: ${generator.problems.join(' ')}`,
  };
  return { ...verdict, status: verdict.status === 'fail' ? 'fail' : 'inconclusive', thresholds: [...verdict.thresholds, outcome] };
}

/** Sums the native engine's health over the steps of a run. */
function combineGenerators(outcomes: readonly { scenario: string; outcome: EngineOutcome }[]): GeneratorHealth | null {
  const healths = outcomes.filter((o) => o.outcome.generator !== null);
  if (healths.length === 0) return null;
  const all = healths.map((o) => o.outcome.generator as GeneratorHealth);
  return {
    workers: Math.max(...all.map((g) => g.workers)),
    lateSends: all.reduce((sum, g) => sum + g.lateSends, 0),
    droppedIterations: all.reduce((sum, g) => sum + g.droppedIterations, 0),
    sendLagP99Ms: Math.max(...all.map((g) => g.sendLagP99Ms)),
    cpuPercent: Math.max(...all.map((g) => g.cpuPercent)),
    maxRssBytes: Math.max(...all.map((g) => g.maxRssBytes)),
    problems: healths.flatMap((o) => (o.outcome.generator as GeneratorHealth).problems.map((problem) => `${o.scenario}: ${problem}`)),
  };
}

/** The headline latency for the progress line: the p99 of the newest complete interval. */
function currentP99(snapshot: RecorderSnapshot): { p99Ms: number | undefined; p99Metric: string | undefined } {
  for (const name of ['ws_rpc_duration', 'ws_event_latency', 'ws_reconnect_duration', 'http_req_duration', 'sse_sync_duration']) {
    const metrics = snapshot.metrics.filter((metric) => metric.name === name && metric.type === 'trend');
    if (metrics.length === 0) continue;
    const newest = Math.max(...metrics.flatMap((metric) => metric.series.map((point) => point.index)));
    if (!Number.isFinite(newest)) continue;
    // The newest interval is still filling: show the one before it when there is one.
    const index = newest > 0 ? newest - 1 : newest;
    const histogram = newHistogram();
    let valueScale = 1;
    for (const metric of metrics) {
      valueScale = metric.valueScale;
      const state = metric.series.find((p) => p.index === index)?.state as { count: number; histogram: string } | undefined;
      if (state && state.count > 0) histogram.add(histogramOf(state.histogram));
    }
    if (histogram.totalCount === 0) continue;
    return { p99Ms: histogram.getValueAtPercentile(99) / valueScale, p99Metric: name };
  }
  return { p99Ms: undefined, p99Metric: undefined };
}

function runEngineOf(steps: readonly PlannedStep[]): EngineName {
  const engines = new Set(steps.flatMap((step) => step.scenarios.map((s) => s.engine)));
  return engines.has('native') ? 'native' : ((engines.values().next().value as EngineName | undefined) ?? 'native');
}

function environment(): Result['environment'] {
  return { node: process.version, platform: `${os.platform()}-${os.arch()}`, cpus: os.availableParallelism(), wsmig: packageVersion() };
}

function worstStatus(statuses: readonly Verdict['status'][]): Verdict['status'] {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('inconclusive') || statuses.length === 0) return 'inconclusive';
  return 'pass';
}

function dedupe(names: readonly string[]): string[] {
  return [...new Set(names)];
}

/** Every scenario name, for help texts. */
export const SCENARIO_NAMES: readonly string[] = SCENARIOS.map((scenario) => scenario.name);
