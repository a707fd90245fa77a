/**
 * A real `haproxy` for tests, run on examples/cluster/haproxy.cfg itself (its addresses come from
 * the environment), so the tests prove the configuration users copy. Tests call
 * {@link haproxyAvailability} first and skip with the printed reason when there is none.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';

export type HaproxyAvailability = { available: true; binary: string } | { available: false; reason: string };

/** The cluster example's haproxy configuration. */
export const CLUSTER_HAPROXY_CONFIG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/cluster/haproxy.cfg');

export async function haproxyAvailability(): Promise<HaproxyAvailability> {
  const candidates = [...(process.env['PATH'] ?? '').split(path.delimiter).filter((dir) => dir !== ''), '/usr/sbin', '/usr/local/sbin'].map((dir) => path.join(dir, 'haproxy'));
  for (const file of candidates) {
    const found = await access(file, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return { available: true, binary: file };
  }
  return { available: false, reason: 'no haproxy binary (install the haproxy package, as .ci/run does)' };
}

export interface RunningHaproxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts haproxy on the cluster example's configuration in front of `instances` (`host:port`, three of them). */
export async function startClusterHaproxy(binary: string, instances: readonly string[]): Promise<RunningHaproxy> {
  if (instances.length !== 3) throw new Error('the cluster example balances three instances');
  const port = await freePort();
  const env = { ...process.env, WSMIG_PROXY_BIND: `127.0.0.1:${port}`, WSMIG_INSTANCE_1: instances[0], WSMIG_INSTANCE_2: instances[1], WSMIG_INSTANCE_3: instances[2] };
  const child: ChildProcess = spawn(binary, ['-db', '-f', CLUSTER_HAPROXY_CONFIG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += String(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => (output += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not start on port ${port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
