/**
 * git as wsmig runs it: through execa without a shell (arguments are never interpreted), never
 * prompting, and the working tree's uncommitted changes read the one way both the migration and
 * the codemod runner need them before they change a repository.
 */
import { execa } from 'execa';
import { WsmigError } from './errors.js';

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs git in `cwd`; never throws on a non-zero exit.
 * @throws WsmigError GIT_UNAVAILABLE when git cannot be run at all.
 */
export async function runGit(cwd: string, args: readonly string[], options: { input?: string } = {}): Promise<GitResult> {
  const result = await execa('git', args, {
    cwd,
    reject: false,
    env: { GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', GIT_MERGE_AUTOEDIT: 'no' },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  if (result.failed && result.exitCode === undefined) {
    throw new WsmigError('GIT_UNAVAILABLE', `Cannot run git (${result.shortMessage}). Install git and make sure it is on PATH.`, { cause: result });
  }
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The top folder of the repository holding `cwd`, or `undefined` outside a git repository (or without git). */
export async function gitTopLevel(cwd: string): Promise<string | undefined> {
  const result = await runGit(cwd, ['rev-parse', '--show-toplevel']).catch(() => undefined);
  return result?.exitCode === 0 ? result.stdout.trim() : undefined;
}

/** One uncommitted change: git's two-letter XY status code and the path (the new path for renames), relative to the repository top. */
export interface StatusEntry {
  code: string;
  path: string;
}

/**
 * Uncommitted changes (`git status`), untracked files included and each listed (not its folder),
 * limited to `paths` when given.
 * @throws WsmigError GIT_FAILED with git's message.
 */
export async function uncommittedChanges(cwd: string, paths: readonly string[] = []): Promise<StatusEntry[]> {
  const result = await runGit(cwd, ['status', '--porcelain=v1', '-z', '--untracked-files=all', ...(paths.length > 0 ? ['--', ...paths] : [])]);
  if (result.exitCode !== 0) {
    throw new WsmigError('GIT_FAILED', `git status failed in ${cwd}: ${(result.stderr || result.stdout).trim()}`, { details: { paths: [...paths], exitCode: result.exitCode } });
  }
  const entries: StatusEntry[] = [];
  const fields = result.stdout.split('\0');
  for (let index = 0; index < fields.length; index++) {
    const field = fields[index] as string;
    if (field.length < 4) continue;
    const code = field.slice(0, 2);
    entries.push({ code, path: field.slice(3) });
    // Renames and copies are followed by their source path.
    if (code[0] === 'R' || code[0] === 'C') index++;
  }
  return entries;
}

/** Changed files for an error message, one indented line each: at most `limit`, then how many more. */
export function listChangedFiles(lines: readonly string[], limit = 10): string {
  const shown = lines.slice(0, limit).map((line) => `  ${line}`);
  if (lines.length > limit) shown.push(`  … and ${lines.length - limit} more`);
  return shown.join('\n');
}
