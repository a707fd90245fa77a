/**
 * `wsmig load run --engine k6`: runs a scenario's k6 script with a local k6 binary
 * (`k6 run --summary-export`), streams k6's own progress to stderr, and imports the summary into
 * a wsmig Result. Without k6 it stops with a usage error: a k6 run is never pretended.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { writeFileAtomic } from '../../../lib/atomic-write.js';
import { UsageError, WsmigError, messageOf } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/logger.js';
import { packageVersion } from '../../../lib/package-info.js';
import { withTokenVariables, type ServiceCredentials } from '../../credentials.js';
import { importFile } from '../../importers/index.js';
import type { LoadedProfile } from '../../profiles/load-profile.js';
import type { GeneratorHealth, MetricResult, Result } from '../../result/types.js';
import { readThresholdsFile } from '../../thresholds/index.js';
import { findK6Binary, k6Version } from './k6-binary.js';
import { k6EnvArguments, k6EnvFor, type K6Target } from './k6-env.js';
import { k6ThresholdsFor } from './k6-thresholds.js';
import { watchProcessUsage, type ProcessUsage } from './process-usage.js';
import { assertK6CanSpeak, k6ProfileNotes, withEmbeddedProfile } from './profile-script.js';
import { COMPILED_SCRIPTS_DIR, assertK6Scenario, bundledScript, compiledScriptPath } from './script-files.js';

/** k6's exit code when thresholds failed: a measurement, not an error (wsmig judges the Result itself). */
const K6_THRESHOLDS_FAILED = 99;
/** k6's exit code after an external abort (SIGINT/SIGTERM): it still writes the summary. */
const K6_EXTERNALLY_ABORTED = 105;

const K6_EXIT_MEANINGS: Readonly<Record<number, string>> = {
  100: 'setup() timed out',
  101: 'teardown() timed out',
  104: 'invalid configuration or options',
  105: 'aborted from outside',
  107: 'the script threw an exception',
  108: 'the script aborted the test',
  110: 'the test was marked as failed',
};

/** Bytes of k6's output kept for error messages. */
const OUTPUT_TAIL_BYTES = 4_096;

export interface RunK6Options {
  target: K6Target & { embedded?: boolean };
  /**
   * The service's tokens: handed to the k6 process as WSMIG_TOKEN and WSMIG_ADMIN_TOKEN in its
   * environment (never as `-e`, which `ps` shows), which the scripts send as `Authorization: Bearer`.
   */
  credentials?: ServiceCredentials;
  /** Resolved scenario options (the catalog's keys: `connections`, `durationMs`, …). */
  options: Readonly<Record<string, number | string>>;
  /** The target's protocol (`--profile`): k6 runs the script with it embedded. */
  profile?: LoadedProfile;
  /** A wsmig thresholds file: what k6 can evaluate is handed to k6 (the Result is judged by wsmig anyway). */
  thresholdsFile?: string;
  /** Stops k6 (SIGTERM): it ends the test, writes its summary, and the partial Result is returned. */
  signal?: AbortSignal;
  logger?: Logger;
  /** Where k6's own output (banner, progress, end-of-test summary) goes; default stderr, as stdout is for machines. */
  output?: NodeJS.WritableStream;
  /** The environment to find k6 in and to run it with (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where the compiled scripts are (default: this package's dist/k6). */
  scriptsDir?: string;
}

/** Keeps the last bytes of a stream of chunks. */
class OutputTail {
  private text = '';

  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-OUTPUT_TAIL_BYTES);
  }

  toString(): string {
    return this.text.trim();
  }
}

function metricValue(metrics: readonly MetricResult[], name: string, key: string): number | undefined {
  const metric = metrics.find((candidate) => candidate.name === name && Object.keys(candidate.tags).length === 0);
  const value = (metric?.values as Record<string, number> | undefined)?.[key];
  return typeof value === 'number' ? value : undefined;
}

/** The generator's own health, from the schedule metrics the scripts record and the k6 process's usage. */
function k6GeneratorHealth(metrics: readonly MetricResult[], usage: ProcessUsage, cpus: number): GeneratorHealth {
  const lateSends = metricValue(metrics, 'wsmig_late_sends', 'count') ?? 0;
  const droppedIterations = metricValue(metrics, 'dropped_iterations', 'count') ?? 0;
  const sends = metricValue(metrics, 'wsmig_send_lag', 'count') ?? 0;
  const problems: string[] = [];
  if (droppedIterations > 0) {
    problems.push(`${droppedIterations} scheduled requests were not sent (no open connection, or more than 1 s behind schedule).`);
  }
  if (sends > 0 && lateSends / sends > 0.01) {
    problems.push(`${((lateSends / sends) * 100).toFixed(1)}% of sends left more than 10 ms after their intended time: k6 fell behind its schedule, and the latencies include that lag.`);
  }
  if (usage.cpuPercent !== null && usage.cpuPercent >= 90 * cpus) {
    problems.push(`k6 used ${usage.cpuPercent.toFixed(0)}% CPU (of ${cpus * 100}%): the generator was saturated.`);
  }
  return {
    workers: 1,
    lateSends,
    droppedIterations,
    sendLagP99Ms: metricValue(metrics, 'wsmig_send_lag', 'p(99)') ?? 0,
    cpuPercent: usage.cpuPercent ?? 0,
    maxRssBytes: usage.maxRssBytes ?? 0,
    problems,
  };
}

/**
 * Every sample of a k6 script is tagged with its scenario (k6 tags samples with the name of the
 * k6 scenario, which is the wsmig scenario's), but a summary lists tagged sub-metrics only for
 * thresholds. Each whole-run metric is therefore also the scenario's: add it under that tag.
 */
export function withScenarioTag(metrics: readonly MetricResult[], scenario: string): MetricResult[] {
  const tagged = (metric: MetricResult): boolean => Object.keys(metric.tags).length === 1 && metric.tags['scenario'] === scenario;
  const added = metrics
    .filter((metric) => Object.keys(metric.tags).length === 0 && !metrics.some((other) => other.name === metric.name && tagged(other)))
    .map((metric) => ({ ...metric, tags: { scenario } }));
  return [...metrics, ...added];
}

function exitMeaning(exitCode: number | undefined): string {
  if (exitCode === undefined) return 'it did not exit normally';
  return K6_EXIT_MEANINGS[exitCode] === undefined ? `exit code ${exitCode}` : `exit code ${exitCode}: ${K6_EXIT_MEANINGS[exitCode]}`;
}

/**
 * Runs a scenario's k6 script and returns its Result (engine `k6`; no verdict: wsmig evaluates the
 * thresholds on the Result, with windows and minSamples that k6 lacks).
 * @throws UsageError `K6_NOT_FOUND` without a k6 binary, `K6_NO_SCRIPT` for a scenario without a
 *   k6 script, `K6_PROFILE_UNSUPPORTED` for a profile it cannot speak, or for a cut mode k6 cannot carry out; WsmigError `K6_RUN_FAILED` when k6 fails
 *   (with the end of its output), `K6_NO_SUMMARY` when it wrote none.
 */
export async function runK6Scenario(name: string, options: RunK6Options): Promise<Result> {
  assertK6Scenario(name);
  if (options.profile !== undefined) assertK6CanSpeak(name, options.profile);
  if (options.options['cutMode'] === 'restart') {
    throw new UsageError('K6_CUT_MODE', 'cutMode=restart restarts the server wsmig started, which k6 cannot do: use --set cutMode=kick or client-close, or --engine native.');
  }
  const base = options.env ?? process.env;
  const env = options.credentials === undefined ? base : withTokenVariables(base, options.credentials);
  const binary = await findK6Binary(env);
  const scriptsDir = options.scriptsDir ?? COMPILED_SCRIPTS_DIR;
  const output = options.output ?? process.stderr;
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wsmig-k6-'));
  try {
    const warnings: string[] = k6ProfileNotes(options.profile, options.options);
    let script = compiledScriptPath(name, scriptsDir);
    if (options.profile !== undefined && !options.profile.envelope) {
      const embedded = withEmbeddedProfile(await bundledScript(name, scriptsDir), options.profile);
      script = path.join(workDir, embedded.name);
      await writeFileAtomic(script, embedded.content);
    }
    let thresholdsPath: string | undefined;
    if (options.thresholdsFile !== undefined) {
      const converted = k6ThresholdsFor(await readThresholdsFile(options.thresholdsFile));
      warnings.push(...converted.notes);
      thresholdsPath = path.join(workDir, 'thresholds.json');
      await writeFileAtomic(thresholdsPath, JSON.stringify(converted.thresholds, null, 2));
    }
    const summaryPath = path.join(workDir, 'summary.json');
    const args = ['run', '--no-color', '--summary-export', summaryPath, ...k6EnvArguments(k6EnvFor(options.options, options.target, thresholdsPath)), script];
    const version = await k6Version(binary, env);
    options.logger?.info({ k6: binary, version, script, scenario: name }, 'running k6');

    const tail = new OutputTail();
    const launchedAtMs = Date.now();
    const subprocess = execa(binary, args, {
      env,
      extendEnv: false,
      reject: false,
      buffer: false,
      stdin: 'ignore',
      ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
      forceKillAfterDelay: 15_000,
    });
    const usage = watchProcessUsage(subprocess.pid);
    const relay = (chunk: Buffer): void => {
      tail.push(chunk);
      output.write(chunk);
    };
    subprocess.stdout?.on('data', relay);
    subprocess.stderr?.on('data', relay);
    const outcome = await subprocess;
    const endedAtMs = Date.now();
    const processUsage = await usage.stop();

    if (outcome.failed && outcome.exitCode === undefined && !outcome.isCanceled) {
      throw new WsmigError('K6_RUN_FAILED', `k6 (${binary}) could not run: ${outcome.shortMessage}`, { cause: outcome });
    }
    const stoppedEarly = outcome.isCanceled || outcome.exitCode === K6_EXTERNALLY_ABORTED;
    if (!stoppedEarly && outcome.exitCode !== 0 && outcome.exitCode !== K6_THRESHOLDS_FAILED) {
      throw new WsmigError('K6_RUN_FAILED', `k6 failed running "${name}" (${exitMeaning(outcome.exitCode)}). Its last output:\n${tail.toString()}`, {
        details: { exitCode: outcome.exitCode ?? null },
      });
    }
    if (!existsSync(summaryPath)) {
      throw new WsmigError('K6_NO_SUMMARY', `k6 ended (${exitMeaning(outcome.exitCode)}) without writing its summary, so there is nothing to import. Its last output:\n${tail.toString()}`);
    }
    if (stoppedEarly) warnings.push('k6 was stopped before the end of the scenario: the Result covers only the part that ran.');
    if (outcome.exitCode === K6_THRESHOLDS_FAILED) warnings.push('k6 reported failed thresholds (exit 99); the verdict below is wsmig\'s, on the full threshold grammar.');

    const imported = await importFile(summaryPath, 'auto');
    const cpus = os.cpus().length;
    const result: Result = {
      ...imported,
      runId: `k6-${name}-${launchedAtMs.toString(36)}-${randomBytes(3).toString('hex')}`,
      tool: { name: 'k6', version },
      engine: 'k6',
      scenarios: [{ name, engine: 'k6', options: { ...options.options }, startOffsetMs: 0, durationMs: imported.durationMs }],
      target: { url: options.target.wsUrl, embedded: options.target.embedded ?? false },
      startedAt: new Date(endedAtMs - imported.durationMs).toISOString(),
      endedAt: new Date(endedAtMs).toISOString(),
      metrics: withScenarioTag(imported.metrics, name),
      generator: k6GeneratorHealth(imported.metrics, processUsage, cpus),
      environment: { node: null, platform: `${os.platform()}-${os.arch()}`, cpus, wsmig: packageVersion() },
      source: null,
      warnings: [...imported.warnings, ...warnings, ...(processUsage.cpuPercent === null ? ['The k6 process\'s CPU and memory could not be measured on this platform.'] : [])],
      verdict: null,
    };
    return result;
  } catch (error) {
    if (error instanceof WsmigError) throw error;
    throw new WsmigError('K6_RUN_FAILED', `Running "${name}" with k6 failed: ${messageOf(error)}`, { cause: error });
  } finally {
    await fs.rm(workDir, { recursive: true, force: true });
  }
}
