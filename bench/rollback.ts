/**
 * `npm run bench:rollback`: from a breach becoming observable to the rollback verified.
 *
 * The example legacy app, in a fresh git repository, goes through prepare, migrate and stabilize
 * against the reference server run by the CLI; then, with echo traffic
 * flowing, every reply is made 400 ms late (`POST /admin/faults`) while `watch --rollback` runs.
 * Measured per round: the time to the first breaching evaluation (target ≤ 2 intervals), to the
 * rollback starting (the failure limit's worth of evaluations), and restore + verify (target ≤ 5 s,
 * the service restart excluded). The floor measured in the same run — one `git revert` and commit
 * of the stabilize commit in a clone, plus one SSE sync — shows wsmig's own overhead as a ratio.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { freePort } from './helpers/free-port.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { WebSocket } from 'ws';
import { silentLogger } from '../lib/logger.js';
import { PACKAGE_ROOT } from '../lib/package-info.js';
import { openContext, type MigrationContext } from '../migration/context.js';
import { proposeConfig } from '../migration/init.js';
import { runPhase } from '../migration/phase-runner.js';
import { syncOverSse } from '../migration/rollback/verify.js';
import { stopProcessGroup } from '../migration/service.js';
import type { PhaseName } from '../migration/state.js';
import { defaultWatchThresholdsFile, runWatch } from '../migration/watch/run.js';
import type { WatchEvaluation } from '../migration/watch/watch.js';
import { median } from './helpers/median.js';

const ROUNDS = 3;
const INTERVAL_MS = 1_000;
const FAILURE_LIMIT = 2;
const HEALTHY_EVALUATIONS_BEFORE_BREACH = 3;
const INJECTED_LATENCY_MS = 400;
const TARGET_DETECT_INTERVALS = 2;
const TARGET_RESTORE_VERIFY_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function git(cwd: string, ...args: string[]): Promise<string> {
  return String((await execa('git', args, { cwd })).stdout);
}

/**
 * The example legacy app (examples/legacy-app) in a new git repository, with the config `init`
 * would propose pointed at the reference server on `port`, a short timeline and a light load test.
 */
async function createRepository(port: number): Promise<string> {
  const source = path.join(PACKAGE_ROOT, 'examples', 'legacy-app');
  const root = await mkdtemp(path.join(tmpdir(), 'wsmig-bench-rollback-'));
  await cp(source, root, { recursive: true, filter: (file) => !/[\\/](node_modules|dist)([\\/]|$)/.test(path.relative(source, file)) });
  const proposal = await proposeConfig(root);
  const config = {
    ...proposal.config,
    service: { command: [process.execPath, path.join(PACKAGE_ROOT, 'bin', 'wsmig.js'), 'server', '--port', String(port), '--flag-file', '.env', '--sync-batch-delay', '20ms'], baseUrl: `http://127.0.0.1:${port}`, stopTimeout: '5s' },
    wsEndpoint: { name: 'WS_ENDPOINT', value: `ws://127.0.0.1:${port}/ws` },
    thresholds: 'load-thresholds.json',
    loadTest: { scenarios: ['latency'], duration: '2s', connections: 4, rate: 30, set: { rampUp: '500ms', syncs: 2 } },
    timeline: { prepare: '3d', migrate: '1s', stabilize: '3d' },
  };
  await writeFile(path.join(root, 'wsmig.config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(path.join(root, 'load-thresholds.json'), `${JSON.stringify({ 'ws_rpc_duration{scenario:latency}': [{ threshold: 'p(99)<500', minSamples: 20 }], ws_connect_success: ['rate>0.99'], ws_msgs_lost: ['count==0'] })}\n`);
  await git(root, 'init', '-q', '-b', 'main');
  await git(root, 'config', 'user.email', 'bench@example.com');
  await git(root, 'config', 'user.name', 'wsmig bench');
  await git(root, 'config', 'commit.gpgsign', 'false');
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', 'the legacy chat app, with its wsmig config');
  return root;
}

async function context(root: string): Promise<MigrationContext> {
  return openContext({ cwd: root, logger: silentLogger() });
}

async function phase(root: string, name: PhaseName): Promise<void> {
  const report = await runPhase(await context(root), name, { dryRun: false, force: false, start: true });
  if (report.error) throw new Error(`${name} failed: ${report.error.message}`);
}

function echoTraffic(wsUrl: string): { stop: () => void } {
  const socket = new WebSocket(wsUrl);
  let timer: NodeJS.Timeout | undefined;
  let sent = 0;
  socket.on('open', () => {
    timer = setInterval(() => socket.send(JSON.stringify({ id: `b${sent++}`, channel: 'bench', type: 'echo', payload: null })), 20);
  });
  socket.on('error', () => undefined);
  return {
    stop: () => {
      if (timer) clearInterval(timer);
      socket.terminate();
    },
  };
}

async function setLatency(baseUrl: string, latencyMs: number): Promise<void> {
  const response = await fetch(`${baseUrl}/admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ latencyMs }) });
  if (!response.ok) throw new Error(`POST /admin/faults answered ${response.status}`);
}

interface Round {
  detectMs: number;
  triggerMs: number;
  restoreAndVerifyMs: number;
  totalMs: number;
  serviceRestartMs: number;
}

/** `offsetMs`: how far into an interval the breach starts (the rounds spread it over the interval). */
async function round(root: string, port: number, offsetMs: number): Promise<Round> {
  const baseUrl = `http://127.0.0.1:${port}`;
  await setLatency(baseUrl, 0);
  const traffic = echoTraffic(`ws://127.0.0.1:${port}/ws`);
  let breachAt = 0;
  let firstFailAt = 0;
  let triggerAt = 0;
  try {
    const result = await runWatch({
      metricsUrls: [`${baseUrl}/metrics`],
      thresholdsFile: defaultWatchThresholdsFile(),
      intervalMs: INTERVAL_MS,
      failureLimit: FAILURE_LIMIT,
      maxDurationMs: 60_000,
      rollbackContext: await context(root),
      onEvaluation: (evaluation: WatchEvaluation) => {
        if (evaluation.index === HEALTHY_EVALUATIONS_BEFORE_BREACH && breachAt === 0) {
          if (evaluation.status !== 'pass') throw new Error(`the watch was not healthy before the breach: ${evaluation.status}`);
          breachAt = -1;
          setTimeout(() => {
            breachAt = Date.now();
            void setLatency(baseUrl, INJECTED_LATENCY_MS);
          }, offsetMs);
        }
        if (evaluation.status === 'fail' && firstFailAt === 0) firstFailAt = Date.parse(evaluation.at);
        if (evaluation.status === 'fail' && evaluation.breachStreak === FAILURE_LIMIT) triggerAt = Date.parse(evaluation.at);
      },
    });
    const endAt = Date.now();
    if (!result.rollback?.verified) throw new Error(`the rollback was not verified (outcome ${result.end.outcome})`);
    return { detectMs: firstFailAt - breachAt, triggerMs: triggerAt - breachAt, restoreAndVerifyMs: result.rollback.restoreAndVerifyMs, totalMs: endAt - breachAt, serviceRestartMs: result.rollback.serviceRestartMs };
  } finally {
    traffic.stop();
    await setLatency(baseUrl, 0).catch(() => undefined);
  }
}

/** The floor of restore + verify: `git revert` + commit of the stabilize commit in a clone, and one SSE sync. */
async function floor(root: string, port: number, stabilizeCommit: string): Promise<number> {
  const clone = await mkdtemp(path.join(tmpdir(), 'wsmig-bench-floor-'));
  try {
    await git(clone, 'clone', '-q', root, '.');
    await git(clone, 'config', 'user.email', 'bench@example.com');
    await git(clone, 'config', 'user.name', 'wsmig bench');
    const started = performance.now();
    await git(clone, 'revert', '--no-edit', stabilizeCommit);
    const sync = await syncOverSse(`http://127.0.0.1:${port}/commands/sync`, 'bench-floor', 30_000);
    if (!sync.ok) throw new Error(sync.detail);
    return performance.now() - started;
  } finally {
    await rm(clone, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const port = await freePort();
  const root = await createRepository(port);
  console.log(`bench:rollback — ${ROUNDS} rounds, watch interval ${INTERVAL_MS} ms, failure limit ${FAILURE_LIMIT}, ${INJECTED_LATENCY_MS} ms injected per reply`);
  console.log(`repository: ${root}`);
  const rounds: Round[] = [];
  const floors: number[] = [];
  try {
    await phase(root, 'prepare');
    for (let index = 1; index <= ROUNDS; index++) {
      await phase(root, 'migrate');
      await sleep(1_100);
      await phase(root, 'stabilize');
      const stabilize = (await context(root)).state;
      const commit = (await stabilize.load()).commits.stabilize as string;
      floors.push(await floor(root, port, commit));
      const measured = await round(root, port, Math.round(((index - 1) / ROUNDS) * INTERVAL_MS));
      rounds.push(measured);
      console.log(`  round ${index} (breach ${Math.round(((index - 1) / ROUNDS) * INTERVAL_MS)} ms into an interval): first breach seen after ${measured.detectMs} ms (${(measured.detectMs / INTERVAL_MS).toFixed(2)} intervals), rollback started after ${measured.triggerMs} ms, restore + verify ${measured.restoreAndVerifyMs} ms, verified ${measured.totalMs} ms after the breach`);
    }
  } finally {
    const state = await (await context(root)).state.load().catch(() => undefined);
    if (state?.service) await stopProcessGroup(state.service.pid, 5_000);
    await rm(root, { recursive: true, force: true });
  }
  const detectIntervals = Math.max(...rounds.map((r) => r.detectMs)) / INTERVAL_MS;
  const restoreVerifyMs = Math.max(...rounds.map((r) => r.restoreAndVerifyMs));
  const floorMs = median(floors);
  console.log('');
  console.log(`detect (worst of ${ROUNDS}): ${detectIntervals.toFixed(2)} intervals; target ≤ ${TARGET_DETECT_INTERVALS} → ratio ${(detectIntervals / TARGET_DETECT_INTERVALS).toFixed(2)} ${detectIntervals <= TARGET_DETECT_INTERVALS ? 'PASS' : 'MISS'}`);
  console.log(`restore + verify (worst of ${ROUNDS}, service restart excluded): ${restoreVerifyMs} ms; target ≤ ${TARGET_RESTORE_VERIFY_MS} ms → ratio ${(restoreVerifyMs / TARGET_RESTORE_VERIFY_MS).toFixed(2)} ${restoreVerifyMs <= TARGET_RESTORE_VERIFY_MS ? 'PASS' : 'MISS'}`);
  console.log(`floor measured in this run (git revert + commit in a clone, one SSE sync): ${floorMs.toFixed(0)} ms median → wsmig's restore + verify is ${(median(rounds.map((r) => r.restoreAndVerifyMs)) / floorMs).toFixed(2)}× the floor`);
  console.log(`breach → verified (median): ${median(rounds.map((r) => r.totalMs))} ms with failure limit ${FAILURE_LIMIT}; service restarts: ${rounds.filter((r) => r.serviceRestartMs > 0).length}`);
  if (detectIntervals > TARGET_DETECT_INTERVALS || restoreVerifyMs > TARGET_RESTORE_VERIFY_MS) process.exitCode = 1;
}

await main();
