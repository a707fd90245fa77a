/**
 * The git operations the migration needs (on lib/git.ts: no shell, never prompting). Commits wsmig
 * makes carry a `Wsmig-Phase: <phase>` trailer so they can be found again even when
 * `.wsmig/state.json` is lost.
 */
import { realpath } from 'node:fs/promises';
import { execa } from 'execa';
import { WsmigError, UsageError } from '../lib/errors.js';
import { runGit, uncommittedChanges, type GitResult, type StatusEntry } from '../lib/git.js';

/** The trailer key on every commit wsmig makes. */
export const PHASE_TRAILER = 'Wsmig-Phase';
/** The trailer a rollback commit uses to name the commit it reverted. */
export const REVERTS_TRAILER = 'Wsmig-Reverts';

export class Git {
  constructor(readonly root: string) {}

  /** Runs git; never throws on a non-zero exit. */
  run(args: readonly string[], options: { input?: string } = {}): Promise<GitResult> {
    return runGit(this.root, args, options);
  }

  /** Runs git and throws `GIT_FAILED` with git's own message on a non-zero exit. */
  async ok(args: readonly string[], what: string): Promise<string> {
    const result = await this.run(args);
    if (result.exitCode !== 0) {
      throw new WsmigError('GIT_FAILED', `git ${what} failed: ${(result.stderr || result.stdout).trim()}`, { details: { args: [...args], exitCode: result.exitCode } });
    }
    return result.stdout;
  }

  /**
   * Checks that the root is the top of a git work tree with at least one commit: git names files
   * relative to the top (status, `commit:path`), and wsmig.config.json's paths are relative to the root.
   * @throws UsageError NOT_A_GIT_REPO, NOT_REPOSITORY_TOP or NO_COMMITS otherwise.
   */
  async assertRepository(): Promise<void> {
    const result = await this.run(['rev-parse', '--show-toplevel']);
    if (result.exitCode !== 0) {
      throw new UsageError('NOT_A_GIT_REPO', `${this.root} is not inside a git repository. wsmig commits each phase so that a rollback can restore the code exactly: run \`git init\` and commit your code first.`);
    }
    const top = result.stdout.trim();
    const [realTop, realRoot] = await Promise.all([realpath(top), realpath(this.root)]);
    if (realTop !== realRoot) {
      throw new UsageError('NOT_REPOSITORY_TOP', `wsmig.config.json is in ${this.root}, a folder inside the git repository ${top}, not at its top. Move wsmig.config.json to ${top} and make its paths relative to that folder, then rerun.`);
    }
    const head = await this.run(['rev-parse', '--verify', '--quiet', 'HEAD']);
    if (head.exitCode !== 0) {
      throw new UsageError('NO_COMMITS', `The git repository at ${top} has no commit yet. Commit your code first, so wsmig's changes can be told apart from yours.`);
    }
  }

  async head(): Promise<string> {
    return (await this.ok(['rev-parse', 'HEAD'], 'rev-parse HEAD')).trim();
  }

  /** Working-tree changes, untracked files included (each file listed, not its folder). */
  status(): Promise<StatusEntry[]> {
    return uncommittedChanges(this.root);
  }

  /**
   * Commits exactly `paths` (with `--only` semantics: other staged changes stay staged and out of the
   * commit) with a `Wsmig-Phase` trailer and any extra trailers. Returns the new commit id.
   */
  async commitPaths(options: { subject: string; body?: string; phase: string; paths: readonly string[]; trailers?: Record<string, string>; noVerify?: boolean }): Promise<string> {
    const trailers = { [PHASE_TRAILER]: options.phase, ...options.trailers };
    const message = [options.subject, '', ...(options.body ? [options.body, ''] : []), ...Object.entries(trailers).map(([key, value]) => `${key}: ${value}`), ''].join('\n');
    const args = ['commit', '--quiet', '--file=-', ...(options.noVerify ? ['--no-verify'] : []), '--', ...options.paths];
    const result = await this.run(args, { input: message });
    if (result.exitCode !== 0) {
      const text = (result.stderr || result.stdout).trim();
      const hint = /tell me who you are|user\.email|user\.name/i.test(text)
        ? ' Set your identity with `git config user.name "…"` and `git config user.email "…"`, then rerun.'
        : ' Fix the cause and rerun: finished steps are skipped.';
      throw new WsmigError('GIT_COMMIT_FAILED', `git commit failed: ${text}.${hint}`, { details: { paths: [...options.paths] } });
    }
    return this.head();
  }

  /** Commits on HEAD's history carrying `Wsmig-Phase: <phase>`, newest first. */
  async commitsWithPhase(phase: string): Promise<string[]> {
    const out = await this.ok(['log', '--format=%H%x00%(trailers:key=' + PHASE_TRAILER + ',valueonly,separator=%x2C)%x00', 'HEAD'], 'log');
    const ids: string[] = [];
    const fields = out.split('\0');
    for (let index = 0; index + 1 < fields.length; index += 2) {
      const id = (fields[index] as string).trim();
      const values = (fields[index + 1] as string).split(',').map((value) => value.trim());
      if (id && values.includes(phase)) ids.push(id);
    }
    return ids;
  }

  /** The value of a trailer on a commit, or undefined. */
  async trailer(commit: string, key: string): Promise<string | undefined> {
    const out = await this.ok(['log', '-1', `--format=%(trailers:key=${key},valueonly)`, commit], 'log');
    const value = out.trim().split('\n')[0]?.trim();
    return value ? value : undefined;
  }

  /** Whether `path` exists in `commit`'s tree. */
  async existsAt(commit: string, relativePath: string): Promise<boolean> {
    return (await this.run(['cat-file', '-e', `${commit}:${relativePath}`])).exitCode === 0;
  }

  /** Whether `commit` exists in this repository. */
  async exists(commit: string): Promise<boolean> {
    return (await this.run(['cat-file', '-e', `${commit}^{commit}`])).exitCode === 0;
  }

  /** Whether `ancestor` is on `descendant`'s history (a commit is its own ancestor). */
  async isAncestor(ancestor: string, descendant = 'HEAD'): Promise<boolean> {
    const result = await this.run(['merge-base', '--is-ancestor', ancestor, descendant]);
    if (result.exitCode === 0) return true;
    if (result.exitCode === 1) return false;
    throw new WsmigError('GIT_FAILED', `git merge-base failed: ${result.stderr.trim()}`);
  }

  /** Files a commit changed, against its first parent: `status` is git's A/M/D/R letter. */
  async changedFiles(commit: string): Promise<{ status: string; path: string }[]> {
    const out = await this.ok(['diff-tree', '--no-commit-id', '--name-status', '-r', '-z', '--no-renames', `${commit}^`, commit], 'diff-tree');
    const fields = out.split('\0').filter((field) => field !== '');
    const files: { status: string; path: string }[] = [];
    for (let index = 0; index + 1 < fields.length; index += 2) files.push({ status: fields[index] as string, path: fields[index + 1] as string });
    return files;
  }

  /** Commits after `since` (exclusive) up to HEAD that touched `path`. */
  async commitsTouching(since: string, relativePath: string): Promise<string[]> {
    const out = await this.ok(['log', '--format=%H', `${since}..HEAD`, '--', relativePath], 'log');
    return out.split('\n').map((line) => line.trim()).filter(Boolean);
  }

  /** The bytes of `path` at `commit`, or undefined when it does not exist there. */
  async fileAt(commit: string, relativePath: string): Promise<Buffer | undefined> {
    const result = await execa('git', ['show', `${commit}:${relativePath}`], { cwd: this.root, reject: false, encoding: 'buffer', stripFinalNewline: false });
    if (result.exitCode !== 0) return undefined;
    return Buffer.from(result.stdout as Uint8Array);
  }

  /** `git revert --no-commit`: true when it applied cleanly, false on a conflict (the caller aborts). */
  async revertNoCommit(commit: string): Promise<{ clean: boolean; message: string }> {
    const result = await this.run(['revert', '--no-commit', commit]);
    return { clean: result.exitCode === 0, message: (result.stderr || result.stdout).trim() };
  }

  /** Undoes a revert in progress, putting the index and work tree back as they were before it. */
  async revertAbort(): Promise<void> {
    await this.ok(['revert', '--abort'], 'revert --abort');
  }

  /** Whether a revert is in progress (REVERT_HEAD exists). */
  async revertInProgress(): Promise<boolean> {
    return (await this.run(['rev-parse', '--verify', '--quiet', 'REVERT_HEAD'])).exitCode === 0;
  }

  /** Restores paths in the index and the work tree from `source`, byte for byte. */
  async restore(source: string, paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await this.ok(['restore', `--source=${source}`, '--staged', '--worktree', '--', ...paths], 'restore');
  }

  /** Removes paths from the index and the work tree (`git rm`); paths already gone are fine. */
  async rm(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await this.ok(['rm', '--quiet', '--ignore-unmatch', '--', ...paths], 'rm');
  }

  /** Stages paths (`git add`). */
  async add(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await this.ok(['add', '--', ...paths], 'add');
  }
}
