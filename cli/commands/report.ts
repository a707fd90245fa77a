import type { Command } from 'commander';
import { IMPORT_FORMATS, type ImportFormat } from '../../scenarios/importers/index.js';
import { importResult, renderFormatOf, renderResultFile } from '../../reports/report-jobs.js';

/** Registers `wsmig report render` and `wsmig report import`. */
export function registerReportCommand(program: Command): void {
  const report = program.command('report').description('Render a run result again, or import another tool\'s results (k6, autocannon, artillery).');

  report
    .command('render')
    .description('Re-render a result.json as a console summary (default), Markdown or self-contained HTML.')
    .argument('<result.json>', 'a result.json written by wsmig')
    .option('--html', 'self-contained HTML report')
    .option('--md', 'Markdown report')
    .option('--console', 'compact summary table (default)')
    .option('--out <file>', 'write to this file (atomically) instead of stdout')
    .action(async (file: string, flags: { html?: boolean; md?: boolean; console?: boolean; out?: string }) => {
      const outcome = await renderResultFile(file, {
        format: renderFormatOf(flags),
        ...(flags.out === undefined ? {} : { outFile: flags.out }),
        color: process.stdout.isTTY === true,
      });
      process.stdout.write(outcome.stdout);
      process.exitCode = outcome.exitCode;
    });

  report
    .command('import')
    .description('Import a k6 summary (--summary-export, handleSummary data, machine-readable), an autocannon result or an artillery report; with --thresholds, exit 0 pass, 99 fail, 98 inconclusive.')
    .argument('<file>', 'the JSON file the tool wrote')
    .option('--format <format>', `auto, or one of ${IMPORT_FORMATS.join(', ')}`, 'auto')
    .option('--thresholds <file>', 'evaluate this thresholds file (JSON or YAML, k6 grammar) against the imported result')
    .option('--out <dir>', 'write <dir>/<timestamp>-<scenario>/ with result.json, report.md and report.html')
    .option('--json', 'print the imported Result (with verdict) as JSON instead of the summary table')
    .action(async (file: string, flags: { format: string; thresholds?: string; out?: string; json?: boolean }) => {
      const outcome = await importResult(file, {
        format: flags.format as ImportFormat | 'auto',
        ...(flags.thresholds === undefined ? {} : { thresholdsFile: flags.thresholds }),
        ...(flags.out === undefined ? {} : { outDir: flags.out }),
        json: flags.json === true,
        color: process.stdout.isTTY === true && flags.json !== true,
      });
      process.stdout.write(outcome.stdout);
      process.exitCode = outcome.exitCode;
    });
}
