import type { Command } from 'commander';
import { ExitCode } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';
import { openContext } from '../../migration/context.js';
import { renderRollback } from '../../migration/render.js';
import { manualTrigger, rollback, triggerFromReport } from '../../migration/rollback/rollback.js';
import { printProgress } from './migrate.js';

/** Registers `wsmig rollback`. */
export function registerRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description('Go back to SSE from any phase: flag off, legacy code restored from git, system verified, incident report written. Exit 0 verified, 4 not verified.')
    .option('--reason <text>', 'why (goes into the incident report)')
    .option('--from-report <result.json>', 'roll back only if this load-test report\'s verdict is fail')
    .option('--dry-run', 'print what each step would do and change nothing')
    .option('--cwd <dir>', 'where to look for wsmig.config.json (default: the working directory)')
    .option('--json', 'print the rollback result as JSON')
    .action(async (options: { reason?: string; fromReport?: string; dryRun?: boolean; cwd?: string; json?: boolean }) => {
      let trigger = manualTrigger(options.reason);
      if (options.fromReport !== undefined) {
        const decided = await triggerFromReport(options.fromReport);
        if ('skip' in decided) {
          process.stdout.write(options.json ? `${JSON.stringify({ rolledBack: false, why: decided.skip })}\n` : `${decided.skip}\n`);
          return;
        }
        trigger = options.reason ? { ...decided.trigger, reason: `${options.reason.trim()} — ${decided.trigger.reason}` } : decided.trigger;
      }
      const context = await openContext({ logger: createLogger({ name: 'wsmig' }), progress: printProgress, ...(options.cwd ? { cwd: options.cwd } : {}) });
      const result = await rollback(context, { trigger, dryRun: options.dryRun ?? false });
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderRollback(result)}\n`);
      process.exitCode = result.dryRun || result.verified ? ExitCode.ok : ExitCode.notVerified;
    });
}
