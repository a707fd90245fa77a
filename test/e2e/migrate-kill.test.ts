import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { envValue, foreignStatus, phaseCommits, readState, transport } from '../migration/helpers/flow.js';
import { LEGACY_FILE, exampleAppForSuite } from '../migration/helpers/example-app.js';
import { exists, git } from '../migration/helpers/temp-repo.js';

/**
 * `kill -9` in the middle of every phase (and of a rollback), at points chosen with
 * WSMIG_TEST_KILL_AT (honoured only when NODE_ENV=test; see migration/kill-point.ts): the rerun
 * must finish the work, with each phase's commit made exactly once and nothing left uncommitted.
 */
// Each step runs the real CLI through a whole phase: on a busy CI machine that can take well over 30 s.
describe('a migration killed in the middle of each phase', { timeout: 120_000 }, () => {
  const app = exampleAppForSuite();

  async function killedAt(point: string, args: string[]): Promise<void> {
    const result = await runCli(args, { cwd: app.root, env: { NODE_ENV: 'test', WSMIG_TEST_KILL_AT: point }, timeoutMs: 90_000 });
    expect(result.exitCode, `${point} should have killed the run; stderr: ${result.stderr}`).toBe(-1);
    const journal = await readFile(path.join(app.root, '.wsmig', 'journal.ndjson'), 'utf8');
    const [step, label] = point.split(':');
    expect(journal).toContain(`"event":"step-checkpoint","step":"${step}","detail":"${label}"`);
  }

  async function completes(args: string[]): Promise<string> {
    const result = await runCli(args, { cwd: app.root, env: { NODE_ENV: 'test' }, timeoutMs: 90_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    return result.stderr;
  }

  it('prepare, killed after writing the flag module and again after committing, completes on rerun', async () => {
    const prepare = ['migrate', 'phase', 'prepare', '--yes'];
    await killedAt('prepare.features-file:after-apply', prepare);
    expect((await readState(app.root)).inProgress).toMatchObject({ command: 'prepare', step: 'prepare.features-file' });
    await killedAt('prepare.commit:after-apply', prepare);
    const stderr = await completes(prepare);
    expect(stderr).toContain('taking over a stale lock');
    expect(stderr).toContain('resuming the prepare run interrupted');
    expect(await phaseCommits(app.root, 'prepare')).toHaveLength(1);
    expect(await foreignStatus(app.root)).toBe('');
    const state = await readState(app.root);
    expect(state.inProgress).toBeNull();
    expect(state.phases['prepare']?.status).toBe('done');
  });

  it('migrate, killed after the codemod rewrote files and again after the flip, completes with one commit', async () => {
    const migrate = ['migrate', 'phase', 'migrate', '--yes'];
    await killedAt('migrate.codemod:after-codemod', migrate);
    expect(await foreignStatus(app.root)).toContain('packages/frontend/src/hooks/useChatSync.tsx');
    await killedAt('migrate.flag-on:after-apply', migrate);
    await completes(migrate);
    expect(await phaseCommits(app.root, 'migrate')).toHaveLength(1);
    const frontend = await readFile(path.join(app.root, 'packages/frontend/src/hooks/useChatSync.tsx'), 'utf8');
    expect(frontend.match(/if \(features\.useNewWSSync\)/g)).toHaveLength(1);
    expect(await envValue(app.root, 'USE_NEW_WS_SYNC')).toBe('true');
    expect(await transport(app.baseUrl)).toBe('ws');
    expect(await foreignStatus(app.root)).toBe('');
  });

  it('stabilize, killed after remove-flag and again after git rm, completes as one commit', async () => {
    const stabilize = ['migrate', 'phase', 'stabilize', '--yes'];
    await killedAt('stabilize.remove-legacy:after-codemod', stabilize);
    await killedAt('stabilize.remove-legacy:after-git-rm', stabilize);
    expect(await exists(path.join(app.root, LEGACY_FILE))).toBe(false);
    await completes(stabilize);
    const commits = await phaseCommits(app.root, 'stabilize');
    expect(commits).toHaveLength(1);
    const changed = (await git(app.root, 'show', '--name-only', '--format=', commits[0] as string)).split('\n').sort();
    expect(changed).toEqual(expect.arrayContaining([LEGACY_FILE, 'packages/frontend/src/hooks/useChatSync.tsx', 'packages/server/src/index.ts']));
    expect((await readState(app.root)).commits['stabilize']).toBe(commits[0]);
    expect(await foreignStatus(app.root)).toBe('');
  });

  it('a rollback killed right after its revert finishes on rerun, byte for byte, with one commit', async () => {
    await killedAt('rollback.restore-code:after-revert', ['rollback', '--reason', 'drill']);
    const stderr = await completes(['rollback', '--reason', 'drill, again']);
    expect(stderr).toContain('legacy files byte-identical');
    expect((await readFile(path.join(app.root, LEGACY_FILE))).equals(app.legacyBytes)).toBe(true);
    expect(await phaseCommits(app.root, 'rollback')).toHaveLength(1);
    expect(await git(app.root, 'rev-parse', '--verify', '--quiet', 'REVERT_HEAD').catch(() => 'none')).toBe('none');
    expect(await foreignStatus(app.root)).toBe('');
    expect(await transport(app.baseUrl)).toBe('sse');
  });
});
