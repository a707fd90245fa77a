import { createInterface } from 'node:readline/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { configJsonSchema } from '../../migration/config.js';
import { openContext, type ProgressEvent } from '../../migration/context.js';
import { proposeConfig, writeProposal } from '../../migration/init.js';
import { parseCanarySteps, parseStepDuration, type CanaryRequest } from '../../migration/canary/plan.js';
import { parsePhase, phaseExitCode, planPhase, runPhase } from '../../migration/phase-runner.js';
import type { PhaseName } from '../../migration/state.js';
import { renderPhaseReport, renderPlan, renderProgress, renderServiceCommand, renderServiceStatus, renderStatus } from '../../migration/render.js';
import { parseServiceAction, runServiceAction, serviceStatus, serviceStatusExitCode } from '../../migration/service-command.js';
import { migrationStatus } from '../../migration/status.js';

interface CommonOptions {
  cwd?: string;
  json?: boolean;
}

/** Prints a migration progress line on stderr (also for `wsmig rollback` and `wsmig watch --rollback`). */
export function printProgress(event: ProgressEvent): void {
  const line = renderProgress(event);
  if (line !== undefined) process.stderr.write(`${line}\n`);
}

function print(json: boolean | undefined, value: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
}

interface CanaryFlags {
  canary?: string;
  step?: string;
}

/** `--canary` / `--step`, which only the migrate phase takes. */
function canaryRequest(phase: PhaseName, options: CanaryFlags): CanaryRequest {
  if (phase !== 'migrate' && (options.canary !== undefined || options.step !== undefined)) throw new UsageError('CANARY_NOT_HERE', `--canary and --step belong to the migrate phase (the one that turns the flag on), not to ${phase}.`);
  return {
    ...(options.canary === undefined ? {} : { steps: parseCanarySteps(options.canary) }),
    ...(options.step === undefined ? {} : { stepMs: parseStepDuration(options.step) }),
  };
}

/** Asks y/N on a terminal; without one, `--yes` is required. */
async function confirm(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw new UsageError('CONFIRMATION_NEEDED', 'stdin is not a terminal, so wsmig cannot ask for confirmation: rerun with --yes.');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** Registers `wsmig migrate` (init, plan, phase, status, service, schema). */
export function registerMigrateCommand(program: Command): void {
  const migrate = program.command('migrate').description('Run the SSE → WebSocket migration in phases: init, plan, phase, status, service (docs/migration.md).');

  migrate
    .command('init')
    .description('Inspect the repository and write wsmig.config.json.')
    .option('--yes', 'write without asking')
    .option('--force', 'replace an existing wsmig.config.json')
    .option('--cwd <dir>', 'the repository root (default: the working directory)')
    .option('--json', 'print the proposal as JSON')
    .action(async (options: CommonOptions & { yes?: boolean; force?: boolean }) => {
      const root = path.resolve(options.cwd ?? process.cwd());
      const proposal = await proposeConfig(root);
      const findings = proposal.findings.map((finding) => `  ${finding.field} = ${JSON.stringify(finding.value)}  (${finding.because})`).join('\n');
      const warnings = proposal.warnings.map((warning) => `! ${warning}`).join('\n');
      process.stderr.write(`Found in ${root}:\n${findings}\n${warnings ? `${warnings}\n` : ''}`);
      if (!options.json) process.stderr.write(`Proposed ${proposal.file}:\n${JSON.stringify(proposal.config, null, 2)}\n`);
      if (!(await confirm(`Write ${proposal.file}?`, options.yes))) {
        process.stderr.write('Nothing written.\n');
        process.exitCode = 1;
        return;
      }
      await writeProposal(proposal, { force: options.force ?? false });
      print(options.json, { file: proposal.file, config: proposal.config, findings: proposal.findings, warnings: proposal.warnings }, `wrote ${proposal.file}; review it, commit it, then run \`wsmig migrate plan prepare\``);
    });

  migrate
    .command('plan')
    .argument('<phase>', 'prepare, migrate or stabilize')
    .description('Print the steps of a phase, whether each is done, and what it would change. Changes nothing.')
    .option('--no-start', 'prepare: plan to check a running service instead of starting one')
    .option('--canary <percentages>', 'migrate: plan a canary through these percentages, e.g. 5,25,50,100')
    .option('--step <duration>', 'migrate: how long each canary step is held')
    .option('--cwd <dir>', 'where to look for wsmig.config.json (default: the working directory)')
    .option('--json', 'print the steps as JSON')
    .action(async (phaseName: string, options: CommonOptions & CanaryFlags & { start: boolean }) => {
      const phase = parsePhase(phaseName);
      const canary = canaryRequest(phase, options);
      const context = await openContext({ logger: createLogger({ name: 'wsmig' }), ...(options.cwd ? { cwd: options.cwd } : {}) });
      const outcomes = await planPhase(context, phase, { start: options.start, canary });
      print(options.json, { phase, steps: outcomes }, renderPlan(phase, outcomes));
    });

  migrate
    .command('phase')
    .argument('<phase>', 'prepare, migrate or stabilize')
    .description('Run a phase: every step is check → apply → record; rerunning skips done steps.')
    .option('--dry-run', 'print what each step would change and change nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'go ahead over uncommitted changes; with --reason, through a closed gate; stabilize: remove legacy files the SSE bridge still relays')
    .option('--reason <text>', 'why --force goes through a closed gate (recorded)')
    .option('--no-start', 'prepare: check a service already running instead of starting it')
    .option('--canary <percentages>', "migrate: raise the flag through these percentages, e.g. 5,25,50,100, each held for --step while watch's thresholds are evaluated: promote on pass, pause on inconclusive, roll back on breach (default: the config's rollout.steps, else straight to 100 %)")
    .option('--step <duration>', "migrate: how long each canary step is held (default: the config's rollout.stepDuration, else 30m)")
    .option('--cwd <dir>', 'where to look for wsmig.config.json (default: the working directory)')
    .option('--json', 'print the phase report as JSON')
    .action(async (phaseName: string, options: CommonOptions & CanaryFlags & { dryRun?: boolean; yes?: boolean; force?: boolean; reason?: string; start: boolean }) => {
      const phase = parsePhase(phaseName);
      const canary = canaryRequest(phase, options);
      const context = await openContext({ logger: createLogger({ name: 'wsmig' }), progress: printProgress, ...(options.cwd ? { cwd: options.cwd } : {}) });
      if (!options.dryRun && !options.yes) {
        const plan = await planPhase(context, phase, { start: options.start, canary });
        process.stderr.write(`${renderPlan(phase, plan)}\n`);
        if (!(await confirm(`Run ${phase} in ${context.root}?`, options.yes))) {
          process.stderr.write('Nothing changed.\n');
          process.exitCode = 1;
          return;
        }
      }
      const report = await runPhase(context, phase, {
        dryRun: options.dryRun ?? false,
        force: options.force ?? false,
        start: options.start,
        canary,
        ...(options.reason === undefined ? {} : { reason: options.reason }),
      });
      print(options.json, report, renderPhaseReport(report));
      if (report.error) process.stderr.write(`wsmig: ${report.error.message}\n`);
      process.exitCode = phaseExitCode(report);
    });

  migrate
    .command('status')
    .description('Show where the timeline stands and which gate blocks the next phase.')
    .option('--cwd <dir>', 'where to look for wsmig.config.json (default: the working directory)')
    .option('--json', 'print the status as JSON')
    .action(async (options: CommonOptions) => {
      const context = await openContext({ logger: createLogger({ name: 'wsmig' }), ...(options.cwd ? { cwd: options.cwd } : {}) });
      const status = await migrationStatus(context);
      print(options.json, status, renderStatus(status));
    });

  migrate
    .command('service')
    .argument('<action>', 'status, start, stop or restart')
    .description('See, start, stop or restart the WebSocket service wsmig started; a service wsmig did not start is never stopped. status exits 1 when it is not healthy.')
    .option('--cwd <dir>', 'where to look for wsmig.config.json (default: the working directory)')
    .option('--json', 'print the outcome as JSON')
    .action(async (actionName: string, options: CommonOptions) => {
      const action = parseServiceAction(actionName);
      const context = await openContext({ logger: createLogger({ name: 'wsmig' }), ...(options.cwd ? { cwd: options.cwd } : {}) });
      if (action === 'status') {
        const status = await serviceStatus(context);
        print(options.json, status, renderServiceStatus(status));
        process.exitCode = serviceStatusExitCode(status);
        return;
      }
      const result = await runServiceAction(context, action);
      print(options.json, result, renderServiceCommand(result));
    });

  migrate
    .command('schema')
    .description('Print the JSON Schema of wsmig.config.json.')
    .action(() => {
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    });
}
