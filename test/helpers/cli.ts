import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The real CLI launcher, as users run it (needs `npm run build`, which `npm test` does first). */
export const CLI = path.join(REPO_ROOT, 'bin/wsmig.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `wsmig <args>` to completion and returns its exit code and output. Never throws on a non-zero exit. */
export async function runCli(args: string[], options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  const result = await execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { WSMIG_LOG_LEVEL: 'warn', ...options.env },
    reject: false,
    timeout: options.timeoutMs ?? 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/**
 * The JSON a `--json` run printed. When stdout is not JSON (the run crashed, timed out or printed an
 * error instead), the failure says so with the exit code and the end of stderr rather than a bare
 * "Unexpected end of JSON input".
 */
export function jsonOutput<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`wsmig printed no JSON (exit ${result.exitCode}${result.exitCode === -1 ? ', killed or timed out' : ''}); stdout: ${JSON.stringify(result.stdout.slice(-500))}; stderr: ${result.stderr.slice(-2000)}`);
  }
}

/**
 * Whether a threshold's metric (`ws_rpc_duration{scenario:latency}`) is a timing: on a busy machine
 * those judge the machine as much as the service, so tests that run a load on CI require them to be
 * measured, not met.
 */
export function isTimingMetric(metric: string): boolean {
  return /(_duration|_latency)$/.test(metric.split('{')[0] ?? '');
}

/** Starts `wsmig <args>` in the background (for long-running commands such as `server`). */
export function spawnCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): ResultPromise {
  return execa(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { WSMIG_LOG_LEVEL: 'warn', ...options.env },
    reject: false,
    buffer: true,
  });
}
