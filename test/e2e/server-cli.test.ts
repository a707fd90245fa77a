import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';
import { RawClient } from '../reference/server/raw-client.js';

interface Listening {
  event: 'listening';
  url: string;
  wsUrl: string;
  port: number;
  epoch: string;
}

/** Resolves with the `listening` line the server prints on stdout. */
function listeningLine(child: ReturnType<typeof spawnCli>): Promise<Listening> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`no listening line within 20 s; stdout: ${text}`)), 20_000);
    void child.then((result) => {
      clearTimeout(timer);
      reject(new Error(`wsmig server exited with ${result.exitCode} before listening: ${String(result.stderr)}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      text += String(chunk);
      const line = text.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Listening);
      }
    });
  });
}

describe('wsmig server', () => {
  it('starts with --port 0 --json, serves /health and WebSocket, and drains on SIGTERM, exiting 0', async () => {
    const child = spawnCli(['server', '--port', '0', '--json', '--heartbeat-interval', '5s', '--drain-window', '2s', '--flag', 'true']);
    const listening = await listeningLine(child);
    expect(listening.wsUrl).toBe(`ws://127.0.0.1:${listening.port}/ws`);
    const health = await (await fetch(`${listening.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', transport: 'ws', epoch: listening.epoch });
    const client = await RawClient.connect(listening.wsUrl);
    expect((await client.request('echo', 'hi')).payload).toBe('hi');
    child.kill('SIGTERM');
    const notice = await client.next((m) => m.type === 'drain');
    expect((notice.payload as { retryAfterMs: number }).retryAfterMs).toBeLessThan(2000);
    expect((await client.closed).code).toBe(1012);
    const result = await child;
    expect(result.exitCode).toBe(0);
    const lines = String(result.stdout).trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(lines.map((l) => l.event)).toEqual(['listening', 'draining', 'stopped']);
  });

  it('reads tokens from the environment, never from argv', async () => {
    const child = spawnCli(['server', '--port', '0', '--json'], { env: { WSMIG_TOKEN: 'from-env' } });
    const listening = await listeningLine(child);
    await expect(RawClient.connect(listening.wsUrl)).rejects.toMatchObject({ status: 401 });
    const client = await RawClient.connect(listening.wsUrl, { headers: { authorization: 'Bearer from-env' } });
    client.close();
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
  });

  it('exits 2 naming the flag and what it accepts for bad flag values', async () => {
    const cases: [string[], RegExp][] = [
      [['--port', 'http'], /--port "http".*whole number/],
      [['--flag', 'yes'], /--flag "yes".*true.*false/],
      [['--sync-failure-rate', '5'], /--sync-failure-rate "5".*0 to 1/],
      [['--drain-window', 'soon'], /--drain-window "soon"/],
      [['--allowed-origin', 'not a url'], /--allowed-origin/],
      [['--token-file', '/nonexistent/token'], /--token-file/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['server', ...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });

  it('says clearly when the port is in use, and exits 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['server', '--port', String(port)]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`Port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });
});
