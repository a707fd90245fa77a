/**
 * The real `wsmig server` CLI as a child process, for end-to-end tests: started with `--json`, and
 * ready once it prints its `{"event":"listening",…}` line on stdout.
 */
import type { ResultPromise } from 'execa';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnCli } from './cli.js';

/** The `listening` line `wsmig server --json` prints. */
export interface ServerListening {
  event: 'listening';
  url: string;
  wsUrl: string;
  port: number;
  epoch: string;
  /** The `--upstream` URL, when the server bridges one. */
  upstream?: string;
}

/**
 * A server process that is listening. The child is wrapped in an object: an execa `ResultPromise` is a
 * thenable, so returning it bare from an async function would wait for the process to end.
 */
export interface ServerCli {
  readonly child: ResultPromise;
  readonly listening: ServerListening;
}

export interface StartServerCliOptions {
  /** TCP port. Default 0 (a free one). A fixed port still held by a process that just ended is retried until `timeoutMs`. */
  port?: number;
  /** More `wsmig server` flags. */
  args?: readonly string[];
  env?: Record<string, string>;
  /** Longest wait for the `listening` line, in ms. Default 20000. */
  timeoutMs?: number;
}

type Outcome = { listening: ServerListening } | { failure: string; portInUse: boolean };

/** Resolves with the `listening` line, or with why the process ended (or was killed) before printing it. */
function listeningOrEnd(child: ResultPromise, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += String(chunk);
      for (const line of text.split('\n').slice(0, -1)) {
        const event = line.startsWith('{') ? (JSON.parse(line) as { event?: unknown }) : undefined;
        if (event?.event === 'listening') {
          finish({ listening: event as ServerListening });
          return;
        }
      }
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish({ failure: `wsmig server printed no listening line within ${timeoutMs} ms; stdout: ${text}`, portInUse: false });
    }, timeoutMs);
    const finish = (outcome: Outcome): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(outcome);
    };
    child.stdout?.on('data', onData);
    void child.then((result) => {
      const stderr = String(result.stderr);
      finish({ failure: `wsmig server exited (${result.exitCode ?? result.signal}) before listening: ${stderr}`, portInUse: /PORT_IN_USE|already in use/.test(stderr) });
    });
  });
}

/** Starts `wsmig server --port <port> --json <args>` and resolves once it listens; rejects saying why it did not. */
export async function startServerCli(options: StartServerCliOptions = {}): Promise<ServerCli> {
  const port = options.port ?? 0;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    const child = spawnCli(['server', '--port', String(port), '--json', ...(options.args ?? [])], options.env === undefined ? {} : { env: options.env });
    const outcome = await listeningOrEnd(child, Math.max(1, deadline - Date.now()));
    if ('listening' in outcome) return { child, listening: outcome.listening };
    if (!(outcome.portInUse && port !== 0 && Date.now() < deadline)) throw new Error(outcome.failure);
    await sleep(100);
  }
}
