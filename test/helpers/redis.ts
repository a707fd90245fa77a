/**
 * A real `redis-server` for tests: started on a free port in a temporary folder, stopped after, and
 * killable (SIGKILL) and restartable on the same port and data folder, to test outages.
 *
 * Tests that need Redis call {@link redisAvailability} at the top of the file and skip with the
 * printed reason when there is none. With no `redis-server` but a Docker engine, the plan is
 * testcontainers (`@testcontainers/redis`); it is not a dependency yet, so that case skips too, and
 * says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from './free-port.js';
import { makeTempDir, removeDir } from './temp-dir.js';

/** Whether Redis can be had here, and if not, why not (to print when skipping). */
export type RedisAvailability = { available: true; binary: string } | { available: false; reason: string };

async function executable(file: string, mode: number = constants.X_OK): Promise<boolean> {
  return access(file, mode).then(
    () => true,
    () => false,
  );
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    if (await executable(file)) return file;
  }
  return undefined;
}

/** Finds `redis-server` (PATH, then /usr/bin and /usr/local/bin). */
export async function redisAvailability(): Promise<RedisAvailability> {
  const binary = (await onPath('redis-server')) ?? ((await executable('/usr/bin/redis-server')) ? '/usr/bin/redis-server' : undefined) ?? ((await executable('/usr/local/bin/redis-server')) ? '/usr/local/bin/redis-server' : undefined);
  if (binary !== undefined) return { available: true, binary };
  const docker = (await onPath('docker')) !== undefined && (await executable('/var/run/docker.sock', constants.F_OK));
  return {
    available: false,
    reason: docker
      ? 'no redis-server on PATH, and a Docker engine is there but @testcontainers/redis is not installed'
      : 'no redis-server on PATH and no Docker engine (install the redis-server package, as .ci/run does)',
  };
}


export interface RedisServerOptions {
  /** Append-only file on (fsync on every write), so a killed server comes back with every acknowledged write. Default false: a restart loses everything. */
  appendonly?: boolean;
}

/** A running redis-server the test controls. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** SIGKILLs the server (no save, no goodbye) and waits for it to be gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder (after {@link kill}). */
  start(): Promise<void>;
  /** Kills it and removes its folder. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

function launch(binary: string, port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--protected-mode', 'no', '--logfile', ''];
  args.push('--appendonly', options.appendonly ? 'yes' : 'no');
  if (options.appendonly) args.push('--appendfsync', 'always');
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not get ready in ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.removeAllListeners('data');
        child.stdout?.resume();
        resolve(child);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
}

async function killChild(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** Starts a redis-server on a free port in a new temporary folder (a few tries, should the port be taken meanwhile). */
export async function startRedisServer(binary: string, options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = await makeTempDir('wsmig-redis-');
  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 1; child === undefined; attempt += 1) {
    port = await freePort();
    try {
      child = await launch(binary, port, dir, options);
    } catch (error) {
      if (attempt >= 3) {
        await removeDir(dir);
        throw error;
      }
    }
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    kill: async () => {
      await killChild(child);
    },
    start: async () => {
      child = await launch(binary, port, dir, options);
    },
    stop: async () => {
      await killChild(child);
      await removeDir(dir);
    },
  };
}
