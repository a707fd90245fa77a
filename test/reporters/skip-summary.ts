/**
 * Ends every run with the number of skipped tests and why each was skipped (issue 13): a test that
 * skips says why, with `ctx.skip(reason)` or a console line containing "skip" printed by its file
 * (for `describe.skipIf`); this reporter gathers both per file. A skip with neither is called out.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type { UserConsoleLog } from 'vitest';
import type { Reporter, TestModule, Vitest } from 'vitest/node';

export default class SkipSummaryReporter implements Reporter {
  /** Console lines that mention a skip, by the id of the file, suite or test that printed them. */
  private readonly notices = new Map<string, string[]>();
  /** Set when the run was narrowed with `-t`: tests left out by it are skipped too, for that reason. */
  private namePattern: RegExp | undefined;

  onInit(vitest: Vitest): void {
    this.namePattern = vitest.config.testNamePattern;
  }

  onUserConsoleLog(log: UserConsoleLog): void {
    if (log.taskId === undefined || !/skip/i.test(log.content)) return;
    const lines = this.notices.get(log.taskId) ?? [];
    lines.push(log.content.trim());
    this.notices.set(log.taskId, lines);
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    let skipped = 0;
    for (const testModule of testModules) {
      const tests = [...testModule.children.allTests('skipped')];
      if (tests.length === 0) continue;
      skipped += tests.length;
      const ids = [testModule.id, ...[...testModule.children.allSuites()].map((suite) => suite.id), ...tests.map((test) => test.id)];
      const printed = ids.flatMap((id) => this.notices.get(id) ?? []);
      const notes = tests.map((test) => (test.result() as { note?: string }).note).filter((note): note is string => note !== undefined);
      const reasons = [...new Set([...notes, ...printed])];
      const file = path.relative(process.cwd(), testModule.moduleId);
      lines.push(`  ${file}: ${tests.length} skipped — ${reasons.length > 0 ? reasons.join(' | ') : this.unexplained()}`);
    }
    const summary = skipped === 0 ? 'Skipped tests: none\n' : `Skipped tests: ${skipped}\n${lines.join('\n')}\n`;
    process.stdout.write(`\n${summary}`);
    const file = process.env['WSMIG_SKIP_SUMMARY'];
    if (file) appendFileSync(file, `Node ${process.version}, ${testModules.length} test files: ${summary}`);
  }

  private unexplained(): string {
    if (this.namePattern !== undefined) return `not selected by -t ${this.namePattern.source}`;
    return 'NO REASON PRINTED (use ctx.skip(reason), or print a line saying "skipped" and why)';
  }
}
