import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { inRollout } from '../../lib/flag-rollout.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { removeDir } from '../helpers/temp-dir.js';
import { envValue, injectLatency, phaseCommits } from '../migration/helpers/flow.js';
import { createExampleApp, type ExampleApp } from '../migration/helpers/example-app.js';
import { stopRecordedService } from '../migration/helpers/service.js';
import { git } from '../migration/helpers/temp-repo.js';

const ENV = { NODE_ENV: 'test' };
const FLAG = 'USE_NEW_WS_SYNC';

/** The default watch's latency threshold alone, so a busy machine's CPU or lag cannot breach before the injected latency does. */
const WATCH_THRESHOLDS = { ws_rpc_duration: [{ threshold: 'p(99)<250', minSamples: 3 }] };

/** Users whose ids fall in the 5 % cohort (bucketed as the service does), and the rest: the 5 % step must have a WebSocket cohort. */
function users(count: number): string[] {
  const all = Array.from({ length: 400 }, (_, index) => `user-${index}`);
  const early = all.filter((id) => inRollout(id, FLAG, 5)).slice(0, 4);
  return [...early, ...all.filter((id) => !early.includes(id)).slice(0, count - early.length)];
}

/**
 * A page per user, as the migrated frontend behaves: it asks `/api/config` with its stickiness id
 * (again every second, so it follows a raised percentage), then either sends `echo` requests over
 * one WebSocket or opens the legacy SSE stream — so each cohort shows up in the service's metrics.
 */
function cohortTraffic(baseUrl: string, ids: readonly string[]): { stop: () => void; percentages: Set<number> } {
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws`;
  const sockets = new Map<string, { socket: WebSocket; timer: NodeJS.Timeout }>();
  const percentages = new Set<number>();
  let stopped = false;
  const closeSocket = (id: string): void => {
    const open = sockets.get(id);
    if (!open) return;
    clearInterval(open.timer);
    open.socket.terminate();
    sockets.delete(id);
  };
  const visit = async (id: string): Promise<void> => {
    const answer = (await (await fetch(`${baseUrl}/api/config?stickiness=${id}`)).json()) as { transport: string; flag: { percentage: number } };
    percentages.add(answer.flag.percentage);
    if (stopped) return;
    if (answer.transport === 'ws') {
      if (sockets.has(id)) return;
      const socket = new WebSocket(wsUrl);
      let sent = 0;
      const timer = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ id: `${id}-${sent++}`, channel: 'test', type: 'echo', payload: { sent } }));
      }, 50);
      socket.on('error', () => undefined);
      sockets.set(id, { socket, timer });
      return;
    }
    closeSocket(id);
    const abort = new AbortController();
    const response = await fetch(`${baseUrl}/api/sync/${id}/events`, { signal: abort.signal });
    abort.abort();
    void response.body?.cancel().catch(() => undefined);
  };
  const timer = setInterval(() => {
    for (const id of ids) void visit(id).catch(() => undefined);
  }, 1_000);
  return {
    percentages,
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const id of [...sockets.keys()]) closeSocket(id);
    },
  };
}

interface CanaryState {
  canary: {
    status: string;
    steps: number[];
    history: { percentage: number; outcome: string; evaluations: number; resumedAt: string[]; summary: { configAnswers: { ws: number; sse: number } | null; thresholds: { metric: string; ws: { status: string; samples: number }; sse: { status: string; samples: number } | null }[] } | null }[];
    report: string | null;
  } | null;
  phases: Record<string, { status: string } | undefined>;
  inProgress: unknown;
  rollbacks: { verified: boolean; incident: string; trigger: string }[];
}

async function readCanaryState(root: string): Promise<CanaryState> {
  return JSON.parse(await readFile(path.join(root, '.wsmig', 'state.json'), 'utf8')) as CanaryState;
}

/** The example app through prepare, with watch reading every second against the latency threshold alone. */
async function preparedApp(): Promise<ExampleApp> {
  const app = await createExampleApp();
  await writeFile(path.join(app.root, 'watch-thresholds.json'), `${JSON.stringify(WATCH_THRESHOLDS, null, 2)}\n`);
  const file = path.join(app.root, 'wsmig.config.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  config['watch'] = { thresholds: 'watch-thresholds.json', interval: '1s', failureLimit: 2 };
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  await git(app.root, 'add', 'watch-thresholds.json');
  await git(app.root, 'commit', '-q', '-m', 'watch thresholds');
  const prepare = await runCli(['migrate', 'phase', 'prepare', '--yes'], { cwd: app.root, env: ENV, timeoutMs: 90_000 });
  expect(prepare.exitCode, prepare.stderr).toBe(0);
  return app;
}

/** What the app's `config/features.ts` says about the flag for an env value (its expression, evaluated). */
async function featuresOn(root: string, value: string): Promise<boolean> {
  const text = (await readFile(path.join(root, 'config', 'features.ts'), 'utf8')).replace('export const features', 'const features');
  return new Function('process', `${text}; return features.useNewWSSync;`)({ env: { [FLAG]: value } }) as boolean;
}

/** Resolves once `predicate` holds (polled every 100 ms), or rejects after `timeoutMs`. */
async function until(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('migrate phase migrate --canary', { timeout: 180_000 }, () => {
  let app: ExampleApp | undefined;
  let traffic: { stop: () => void } | undefined;

  afterEach(async () => {
    traffic?.stop();
    traffic = undefined;
    if (app) {
      await stopRecordedService(app.root);
      await removeDir(app.root);
      app = undefined;
    }
  });

  it('--dry-run prints the plan and changes nothing', async () => {
    app = await preparedApp();
    const before = await readFile(path.join(app.root, '.wsmig', 'state.json'), 'utf8');
    const result = await runCli(['migrate', 'phase', 'migrate', '--dry-run', '--canary', '5,25,50,100', '--step', '30m'], { cwd: app.root, env: ENV });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`step 1/4: set ${FLAG}=5%`);
    expect(result.stdout).toContain(`step 4/4: set ${FLAG}=true`);
    expect(result.stdout).toContain('hold 30m00s');
    expect(await readFile(path.join(app.root, '.wsmig', 'state.json'), 'utf8')).toBe(before);
    expect(await envValue(app.root, FLAG)).toBe('false');

    const bad = await runCli(['migrate', 'phase', 'migrate', '--dry-run', '--canary', '25,5,100'], { cwd: app.root, env: ENV });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('must rise from one step to the next');
  });

  it('stops at the 25 % step when latency appears there, rolls back, and reports the 5 % cohort', async () => {
    app = await preparedApp();
    const { baseUrl, root } = app;
    const running = cohortTraffic(baseUrl, users(60));
    traffic = running;
    const cli = spawnCli(['migrate', 'phase', 'migrate', '--yes', '--json', '--canary', '5,25,50,100', '--step', '6s'], { cwd: root, env: ENV });
    // The fault starts when the pages see the 25 % step.
    await until(() => running.percentages.has(25), 90_000, 'the 25 % step');
    await injectLatency(baseUrl, 400);
    const result = await cli;
    expect(result.exitCode, String(result.stderr)).toBe(99);

    const state = await readCanaryState(root);
    expect(state.canary?.status).toBe('rolled-back');
    expect(state.canary?.history.map((step) => [step.percentage, step.outcome])).toEqual([
      [5, 'passed'],
      [25, 'breached'],
    ]);
    const five = state.canary?.history[0]?.summary;
    expect(five?.configAnswers?.ws).toBeGreaterThan(0);
    expect(five?.configAnswers?.sse).toBeGreaterThan(five?.configAnswers?.ws ?? Infinity);
    const latency = five?.thresholds.find((threshold) => threshold.metric === 'ws_rpc_duration');
    expect(latency?.ws.status).toBe('pass');
    expect(latency?.sse?.samples).toBeGreaterThan(0);

    // The rollback ran: flag off in the files and live, verified on SSE, the canary's data in the incident.
    expect(await envValue(root, FLAG)).toBe('false');
    const live = (await (await fetch(`${baseUrl}/api/config?stickiness=user-1`)).json()) as { flag: { percentage: number }; transport: string };
    expect(live.flag.percentage).toBe(0);
    expect(state.rollbacks.at(-1)?.verified).toBe(true);
    expect(state.phases['migrate']?.status).toBe('rolled-back');
    expect(state.inProgress).toBeNull();
    const incident = await readFile((state.rollbacks.at(-1)?.incident as string).replace(/\.json$/, '.md'), 'utf8');
    expect(incident).toContain("The canary's 25 % step");
    expect(incident).toMatch(/\| 5 % \| passed \|/);

    const report = path.join(root, state.canary?.report as string);
    const markdown = await readFile(report.replace(/\.json$/, '.md'), 'utf8');
    expect(markdown).toContain('ROLLED BACK');
    expect(markdown).toMatch(new RegExp(`\\| 5 % \\| passed: promoted \\|[^\\n]*\\| ${five?.configAnswers?.ws} \\| ${five?.configAnswers?.sse} \\|`));
    expect(markdown).toContain('## 25 % step: breached: rolled back');
    const html = await readFile(report.replace(/\.json$/, '.html'), 'utf8');
    expect(html).toContain('25 % step: breached: rolled back');
    expect(html).toContain('WebSocket share of the flag answers');

    const status = await runCli(['migrate', 'status'], { cwd: root, env: ENV });
    expect(status.stdout).toContain('canary 5 % → 25 % → 50 % → 100 %: rolled-back');
  });

  it('pauses on an inconclusive step (no traffic reaches the cohort), holds it again on rerun, and a rollback ends it', async () => {
    app = await preparedApp();
    const { root, baseUrl } = app;
    const paused = await runCli(['migrate', 'phase', 'migrate', '--yes', '--canary', '5,100', '--step', '3s'], { cwd: root, env: ENV, timeoutMs: 90_000 });
    expect(paused.exitCode, paused.stderr).toBe(98);
    expect(paused.stderr).toContain('The canary paused at the 5 % step');
    expect(await envValue(root, FLAG)).toBe('5%');
    const live = (await (await fetch(`${baseUrl}/api/config?stickiness=user-1`)).json()) as { flag: { percentage: number } };
    expect(live.flag.percentage).toBe(5);
    let state = await readCanaryState(root);
    expect(state.canary?.status).toBe('paused');
    const status = await runCli(['migrate', 'status'], { cwd: root, env: ENV });
    expect(status.stdout).toContain('canary 5 % → 100 %: paused at the 5 % step');

    // Asking for another plan while this one is paused is refused; a plain rerun holds the step again.
    const other = await runCli(['migrate', 'phase', 'migrate', '--yes', '--canary', '10,100', '--step', '3s'], { cwd: root, env: ENV });
    expect(other.exitCode).toBe(2);
    expect(other.stderr).toContain('A canary is in progress');
    const again = await runCli(['migrate', 'phase', 'migrate', '--yes'], { cwd: root, env: ENV, timeoutMs: 90_000 });
    expect(again.exitCode, again.stderr).toBe(98);
    state = await readCanaryState(root);
    expect(state.canary?.history.map((step) => [step.percentage, step.outcome])).toEqual([
      [5, 'paused'],
      [5, 'paused'],
    ]);

    const rollback = await runCli(['rollback', '--reason', 'the canary never saw traffic'], { cwd: root, env: ENV, timeoutMs: 90_000 });
    expect(rollback.exitCode, rollback.stderr).toBe(0);
    state = await readCanaryState(root);
    expect(state.canary?.status).toBe('rolled-back');
    expect(await envValue(root, FLAG)).toBe('false');
  });

  it('resumes a step whose run was killed, and promotes to 100 %', async () => {
    app = await preparedApp();
    const { baseUrl, root } = app;
    traffic = cohortTraffic(baseUrl, users(40));
    const first = spawnCli(['migrate', 'phase', 'migrate', '--yes', '--canary', '5,100', '--step', '5s'], { cwd: root, env: ENV });
    let printed = '';
    first.stderr?.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
    });
    // Killed mid-step: after the 5 % step's second evaluation.
    await until(() => /5 % step, evaluation 2/.test(printed), 60_000, 'the second evaluation of the 5 % step');
    first.kill('SIGKILL');
    await first;
    const interrupted = await readCanaryState(root);
    expect(interrupted.canary?.history.map((step) => step.outcome)).toEqual(['holding']);
    expect(await envValue(root, FLAG)).toBe('5%');
    // The app's features module (the converted code's guard) runs the WebSocket path at 5 %: the client picks the transport per user.
    expect(await featuresOn(root, '5%')).toBe(true);
    expect(await featuresOn(root, 'false')).toBe(false);

    const second = await runCli(['migrate', 'phase', 'migrate', '--yes'], { cwd: root, env: ENV, timeoutMs: 120_000 });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toContain('resuming the 5 % step');
    const state = await readCanaryState(root);
    expect(state.canary?.status).toBe('done');
    expect(state.canary?.history.map((step) => [step.percentage, step.outcome, step.resumedAt.length])).toEqual([
      [5, 'passed', 1],
      [100, 'passed', 0],
    ]);
    expect(await envValue(root, FLAG)).toBe('true');
    expect(state.phases['migrate']?.status).toBe('done');
    expect(await phaseCommits(root, 'migrate')).toHaveLength(1);
  });
});
