import { Command, Option } from 'commander';
import { formatDurationMs } from '../../lib/duration.js';
import { createLogger } from '../../lib/logger.js';
import { credentialFlags, integerFlag } from '../flags.js';
import { exitCodeOfStatus, renderConsoleSummary } from '../../reports/index.js';
import { describeScenarios, parseSetItems, resolveScenarioOptions, scenarioByName, type KnobOverride } from '../../scenarios/catalog/index.js';
import { UsageError } from '../../lib/errors.js';
import { DEFAULT_ADMIN_TOKEN_ENV, DEFAULT_TOKEN_ENV } from '../../scenarios/credentials.js';
import { exportK6Scenario } from '../../scenarios/engines/k6/export.js';
import { BUILTIN_PROFILES, loadProfile, type LoadedProfile } from '../../scenarios/profiles/index.js';
import { ENGINE_NAMES, SCENARIO_NAMES, runLoad, type LoadProgress, type RunnableEngine } from '../../scenarios/load-run.js';

interface ProfileFlags {
  profile?: string;
  profileVar: string[];
}

interface KnobFlags {
  duration?: string;
  connections?: string;
  rate?: string;
  rampUp?: string;
  payloadBytes?: string;
  set: string[];
}

interface RunFlags extends KnobFlags, ProfileFlags {
  target?: string;
  engine?: string;
  thresholds?: string;
  out: string;
  workers?: string;
  tokenEnv?: string;
  adminTokenEnv?: string;
  json?: boolean;
}

interface ExportFlags extends KnobFlags, ProfileFlags {
  out: string;
  operator?: boolean;
  parallelism?: string;
  target?: string;
  thresholds?: string;
  force?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function addKnobOptions(command: Command): Command {
  return command
    .option('--duration <duration>', 'how long each scenario runs, e.g. 30s')
    .option('--connections <n>', 'WebSocket (or HTTP) connections')
    .option('--rate <perSecond>', 'requests started per second (open model)')
    .option('--ramp-up <duration>', 'ramp-up time, e.g. 5s')
    .option('--payload-bytes <n>', 'request payload size in bytes')
    .option('--set <knob=value>', 'any scenario knob, e.g. --set cuts=5 or --set latency.syncs=10 (repeatable)', collect, [] as string[]);
}

/** The knob flags as overrides, in the order they apply (named flags first, then --set). */
function overridesOf(flags: KnobFlags): KnobOverride[] {
  const named: [keyof KnobFlags, string, string][] = [
    ['duration', 'duration', '--duration'],
    ['connections', 'connections', '--connections'],
    ['rate', 'rate', '--rate'],
    ['rampUp', 'rampUp', '--ramp-up'],
    ['payloadBytes', 'payloadBytes', '--payload-bytes'],
  ];
  const overrides: KnobOverride[] = [];
  for (const [flag, knob, source] of named) {
    const value = flags[flag];
    if (typeof value === 'string') overrides.push({ knob, value, source });
  }
  return [...overrides, ...parseSetItems(flags.set)];
}

/**
 * `--profile-var name=value` items as a map.
 * @throws UsageError BAD_FLAG for an item without `=`.
 */
function profileVarsOf(items: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const item of items) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(item);
    if (!match) throw new UsageError('BAD_FLAG', `Invalid --profile-var "${item}": write name=value, e.g. --profile-var method=ping.`);
    vars[match[1] as string] = match[2] as string;
  }
  return vars;
}

function addProfileOptions(command: Command): Command {
  return command
    .option('--profile <name|file>', `the target's protocol: a built-in profile (${BUILTIN_PROFILES.join(', ')}) or a JSON/YAML profile file (default: wsmig)`)
    .option('--profile-var <name=value>', 'a variable of the profile, e.g. --profile-var subscription=\'subscription { ticks { seq } }\' (repeatable)', collect, [] as string[]);
}

/**
 * The profile the flags name, validated, its variables resolved; undefined without --profile.
 * @throws UsageError for --profile-var without --profile, or a bad profile (naming the field).
 */
async function profileOf(flags: ProfileFlags): Promise<LoadedProfile | undefined> {
  const vars = profileVarsOf(flags.profileVar);
  if (flags.profile === undefined && flags.profileVar.length > 0) throw new UsageError('BAD_FLAG', '--profile-var sets a variable of a profile: give the profile with --profile.');
  return flags.profile === undefined ? undefined : loadProfile(flags.profile, { vars });
}

/** Renders progress on stderr: one updating line on a TTY, a line every few seconds otherwise. */
function progressPrinter(): { update(progress: LoadProgress): void; notice(text: string): void; end(): void } {
  const tty = process.stderr.isTTY === true;
  let lastLineAt = 0;
  let drawn = false;
  const clear = (): void => {
    if (tty && drawn) process.stderr.write('\r\u001b[2K');
    drawn = false;
  };
  return {
    update(progress) {
      const p99 = progress.p99Ms === undefined ? '' : ` · p99 ${progress.p99Metric} ${progress.p99Ms < 10 ? progress.p99Ms.toFixed(2) : progress.p99Ms.toFixed(0)} ms`;
      const connections = progress.openConnections > 0 ? ` · ${progress.openConnections} connections` : '';
      const line = `[${progress.scenarios.join(' + ')}] ${formatDurationMs(progress.elapsedMs)} / ${formatDurationMs(progress.plannedMs)}${connections}${p99}`;
      if (tty) {
        clear();
        process.stderr.write(line);
        drawn = true;
      } else if (Date.now() - lastLineAt >= 5_000) {
        lastLineAt = Date.now();
        process.stderr.write(`${line}\n`);
      }
    },
    notice(text) {
      clear();
      process.stderr.write(`wsmig: ${text}\n`);
    },
    end: clear,
  };
}

/** Registers `wsmig load list`, `wsmig load run` and `wsmig load export k6`. */
export function registerLoadCommand(program: Command): void {
  const load = program.command('load').description('Load tests before rollout: scenarios, engines (native, k6, autocannon), rollback thresholds, reports.');

  load
    .command('list')
    .description('List the scenarios, their knobs and defaults.')
    .option('--json', 'machine-readable list on stdout')
    .action((flags: { json?: boolean }) => {
      const scenarios = describeScenarios();
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(scenarios, null, 2)}\n`);
        return;
      }
      const lines: string[] = [];
      for (const scenario of scenarios) {
        lines.push(`${scenario.name} (${scenario.engines.join(', ')})${scenario.runsBeside ? ` — runs beside ${scenario.runsBeside}` : ''}`, `  ${scenario.description}`);
        for (const knob of scenario.knobs) lines.push(`    ${`${knob.name}=${knob.default}`.padEnd(28)} ${knob.description}`);
        lines.push('');
      }
      lines.push('With no scenario, `wsmig load run` is the pre-rollout check: short latency, reconnect-storm and sync-progress runs against the embedded server.');
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  addKnobOptions(
    addProfileOptions(load.command('run'))
      .description('Run scenarios (none: the pre-rollout check) and judge them against the rollback thresholds. Exit 0 pass, 99 fail, 98 inconclusive.')
      .argument('[scenario...]', `scenarios to run in order: ${SCENARIO_NAMES.join(', ')}`)
      .option('--target <url>', 'WebSocket URL of the server to test, e.g. ws://localhost:3000/ws (default: start the embedded reference server)')
      .addOption(new Option('--engine <engine>', 'load engine (default: each scenario\'s own)').choices(ENGINE_NAMES))
      .option('--thresholds <file>', 'thresholds file, JSON or YAML in k6\'s grammar (default: scenarios/rollback-thresholds.json)')
      .option('--out <dir>', 'where run folders are written', './wsmig-reports')
      .option('--workers <n>', 'native engine worker threads (default: one per core)')
      .option('--token-env <name>', `environment variable holding the service's bearer token, sent by every engine (default: ${DEFAULT_TOKEN_ENV})`)
      .option('--admin-token-env <name>', `environment variable holding the service's admin token, for /admin/* (default: ${DEFAULT_ADMIN_TOKEN_ENV})`)
      .option('--json', 'print the Result with its verdict as JSON on stdout'),
  ).action(async (scenarios: string[], flags: RunFlags) => {
    const workers = integerFlag('--workers', flags.workers, 1);
    const credentials = credentialFlags(flags);
    const profile = await profileOf(flags);
    const target = flags.target ?? profile?.profile.connect?.url;
    const printer = progressPrinter();
    const interrupt = new AbortController();
    const onSigint = (): void => {
      printer.notice('interrupted: stopping the run and writing what was measured (press Ctrl-C again to quit at once)');
      process.off('SIGINT', onSigint);
      interrupt.abort();
    };
    process.on('SIGINT', onSigint);
    let outcome;
    try {
      outcome = await runLoad({
        scenarios,
        ...(target === undefined ? {} : { target }),
        ...(flags.engine === undefined ? {} : { engine: flags.engine as RunnableEngine }),
        ...(profile === undefined ? {} : { profile }),
        overrides: overridesOf(flags),
        ...(flags.thresholds === undefined ? {} : { thresholdsFile: flags.thresholds }),
        outDir: flags.out,
        ...(workers === undefined ? {} : { workers }),
        credentials,
        logger: createLogger({ name: 'wsmig-load' }),
        signal: interrupt.signal,
        onProgress: (progress) => printer.update(progress),
        onNotice: (text) => printer.notice(text),
      });
    } finally {
      printer.end();
      process.off('SIGINT', onSigint);
    }
    const human = flags.json ? process.stderr : process.stdout;
    for (const report of outcome.reports) {
      human.write(renderConsoleSummary(report.result, { color: human.isTTY === true }));
      human.write(`report: ${report.reportDir}\n`);
    }
    if (flags.json) {
      const results = outcome.reports.map((report) => report.result);
      process.stdout.write(`${JSON.stringify(results.length === 1 ? results[0] : results, null, 2)}\n`);
    }
    // The worst verdict decides; nothing measured at all is inconclusive, never a pass.
    process.exitCode = exitCodeOfStatus(outcome.status);
  });

  const exporter = load.command('export').description('Export a scenario for another tool.');
  addKnobOptions(
    addProfileOptions(exporter.command('k6'))
      .description('Write a scenario as a k6 script with its options and thresholds (and a k6-operator TestRun with --operator); with --profile the script speaks that protocol.')
      .argument('<scenario>', 'latency, reconnect-storm, sync-progress, soak or fan-out')
      .requiredOption('--out <dir>', 'folder to write into')
      .option('--operator', 'also write a k6-operator TestRun manifest (distributed load)')
      .option('--parallelism <n>', 'k6-operator runners (with --operator)')
      .option('--target <url>', 'WebSocket URL the script loads (default: the profile\'s connect.url, else ws://localhost:3000/ws; run.sh also reads WSMIG_TARGET)')
      .option('--thresholds <file>', 'thresholds file; what k6 can evaluate is exported with the script')
      .option('--force', 'overwrite files that exist'),
  ).action(async (name: string, flags: ExportFlags) => {
    const scenario = scenarioByName(name);
    const parallelism = integerFlag('--parallelism', flags.parallelism, 1);
    const options = resolveScenarioOptions(scenario, overridesOf(flags));
    const profile = await profileOf(flags);
    const outcome = await exportK6Scenario(name, {
      outDir: flags.out,
      options,
      ...(profile === undefined ? {} : { profile }),
      ...(flags.target === undefined ? {} : { target: { wsUrl: flags.target } }),
      ...(flags.thresholds === undefined ? {} : { thresholdsFile: flags.thresholds }),
      ...(flags.operator ? { operator: true } : {}),
      ...(parallelism === undefined ? {} : { parallelism }),
      ...(flags.force ? { force: true } : {}),
    });
    const lines = [`wrote ${outcome.files.length} files to ${outcome.outDir}:`, ...outcome.files.map((file) => `  ${file}`), `run: ${outcome.runCommand}`, ...outcome.notes.map((note) => `note: ${note}`)];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}
