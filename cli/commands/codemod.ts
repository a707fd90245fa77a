/**
 * `wsmig codemod list` and `wsmig codemod run <name> <paths…>`: parse, call codemods/runner.ts, print.
 * Exit codes: 0 done, 1 a file failed to transform, 2 usage (bad name, path, config; dirty or
 * non-git tree without --force), 3 sites left for manual work.
 */
import type { Command } from 'commander';
import { CODEMODS } from '../../codemods/registry.js';
import { runCodemod, type CodemodSummary } from '../../codemods/runner.js';
import { ExitCode } from '../../lib/errors.js';
import { createLogger } from '../../lib/logger.js';

interface RunFlags {
  dry?: boolean;
  print?: boolean;
  json?: boolean;
  force?: boolean;
  config?: string;
}

/** Registers `wsmig codemod`. */
export function registerCodemodCommand(program: Command): void {
  const codemod = program.command('codemod').description('Rewrite legacy SSE code to the WebSocket client behind the feature flag, and remove the flag after rollout (jscodeshift transforms).');
  codemod
    .command('list')
    .description('List the codemods.')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      const list = CODEMODS.map(({ name, summary, sourceTransform }) => ({ name, summary, jscodeshiftTransform: sourceTransform }));
      if (flags.json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else process.stdout.write(list.map((item) => `${item.name}\n  ${item.summary}\n`).join(''));
    });
  codemod
    .command('run')
    .description('Run a codemod over files and folders (node_modules and build output are never touched).')
    .argument('<name>', `the codemod: ${CODEMODS.map((c) => c.name).join(' or ')}`)
    .argument('<paths...>', 'files and folders to transform')
    .option('--dry', 'write nothing; report what would change (no git checks)')
    .option('--print', 'print the new content of every changed file')
    .option('--json', 'print the summary as JSON on stdout')
    .option('--force', 'run even with uncommitted changes under the paths, or outside a git repository')
    .option('--config <file>', 'the wsmig.config.json to read (default: the first one found from the working directory upwards)')
    .action(async (name: string, paths: string[], flags: RunFlags) => {
      const summary = await runCodemod({
        codemod: name,
        paths,
        dry: flags.dry ?? false,
        force: flags.force ?? false,
        ...(flags.config === undefined ? {} : { configFile: flags.config }),
        captureOutput: flags.print ?? false,
        logger: createLogger({ name: 'codemod' }),
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      else process.stdout.write(formatSummary(summary));
      process.exitCode = summary.failed.length > 0 ? ExitCode.failure : summary.manual.length > 0 ? ExitCode.manualWork : ExitCode.ok;
    });
}

function formatSummary(summary: CodemodSummary): string {
  const lines: string[] = [];
  for (const { file, output } of summary.outputs ?? []) lines.push(`--- ${file} (${summary.dry ? 'would become' : 'now'})`, output.replace(/\n$/, ''), '');
  lines.push(`${summary.codemod}${summary.dry ? ' (dry run: nothing was written)' : ''} in ${summary.root}`);
  lines.push(`  files: ${summary.filesConsidered} considered, ${summary.filesParsed} parsed (the others have no SSE code)`);
  lines.push(`  ${summary.dry ? 'would change' : 'changed'}: ${summary.changed.length}, unchanged: ${summary.unchanged}, skipped: ${summary.skipped.length}, failed: ${summary.failed.length}`);
  lines.push(`  sites converted: ${summary.sitesConverted}, ignored (wsmig-codemod-ignore): ${summary.sitesIgnored}, left for manual work: ${summary.manual.length}`);
  const section = (title: string, items: string[]): void => {
    if (items.length > 0) lines.push('', title, ...items.map((item) => `  ${item}`));
  };
  section(summary.dry ? 'Would change:' : 'Changed:', summary.changed);
  section('Manual work (each site carries a /* wsmig-codemod: … */ comment):', summary.manual.map((site) => `${site.file}:${site.line}  ${site.reason}`));
  section('Failed (left as they were):', summary.failed.map((failure) => `${failure.file}  ${failure.message}`));
  section('Skipped:', summary.skipped.map((skip) => `${skip.file}  ${skip.reason}`));
  return `${lines.join('\n')}\n`;
}
