import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { inRollout } from '../../lib/flag-rollout.js';
import { runCli } from '../helpers/cli.js';
import { startServerCli } from '../helpers/server-process.js';
import { RawClient } from '../reference/server/raw-client.js';

describe('wsmig server', () => {
  it('starts with --port 0 --json, serves /health and WebSocket, and drains on SIGTERM, exiting 0', async () => {
    const { child, listening } = await startServerCli({ args: ['--heartbeat-interval', '5s', '--drain-window', '2s', '--flag', 'true'] });
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

  it('stops at once on a second signal during a drain, and says stopped once', async () => {
    const { child, listening } = await startServerCli({ args: ['--drain-timeout', '10m'] });
    const client = await RawClient.connect(listening.wsUrl);
    // A client that reads nothing never completes the close handshake: the drain would wait for it.
    client.ws.pause();
    const draining = new Promise<void>((resolve) => child.stdout?.on('data', (chunk: Buffer) => String(chunk).includes('"draining"') && resolve()));
    child.kill('SIGTERM');
    await draining;
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(0);
    const lines = String(result.stdout).trim().split('\n').map((l) => JSON.parse(l) as { event: string; signal?: string });
    expect(lines).toEqual([expect.objectContaining({ event: 'listening' }), { event: 'draining', signal: 'SIGTERM' }, { event: 'closing', signal: 'SIGINT' }, { event: 'stopped' }]);
  });

  it('--write-delay holds each client\'s events and writes them together, never before the delay', async () => {
    const { child, listening } = await startServerCli({ args: ['--flag', 'true', '--write-delay', '300ms', '--sync-total', '10', '--sync-batch-size', '1', '--sync-batch-delay', '20ms'] });
    const client = await RawClient.connect(listening.wsUrl);
    const arrivals: number[] = [];
    client.ws.on('message', () => arrivals.push(performance.now()));
    await client.request('subscribe', null, 'sync:7');
    const startedAt = performance.now();
    await client.request('sync:start', { chatId: 7 }, 'sync');
    await client.next((m) => m.type === 'sync:complete');
    // Eleven events published 20 ms apart; the frames' arrival times, in order (replies included, as they came).
    const eventTimes = client.messages.flatMap((m, i) => (m.channel === 'sync:7' && m.type.startsWith('sync:') ? [arrivals[i] as number] : []));
    expect(eventTimes).toHaveLength(11);
    expect((eventTimes[0] as number) - startedAt).toBeGreaterThanOrEqual(290);
    // Written together: a few reads (one per 300 ms), not eleven.
    const groups = eventTimes.filter((t, i) => i === 0 || t - (eventTimes[i - 1] as number) > 30).length;
    expect(groups).toBeLessThanOrEqual(5);
    client.close();
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
  });

  it('reads tokens from the environment, never from argv', async () => {
    const { child, listening } = await startServerCli({ env: { WSMIG_TOKEN: 'from-env' } });
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
      [['--write-delay', '2s'], /--write-delay "2s": use at most 1s/],
      [['--allowed-origin', 'not a url'], /--allowed-origin/],
      [['--token-file', '/nonexistent/token'], /--token-file/],
      [['--upstream', 'ftp://legacy'], /--upstream "ftp:\/\/legacy".*http: or https:/],
      [['--upstream', 'legacy:3001'], /--upstream/],
      [['--upstream-route', '/events'], /--upstream-route shapes the SSE bridge: give --upstream/],
      [['--upstream', 'http://127.0.0.1:1', '--shared-route', 'events'], /--shared-route "events".*path such as \/events/],
      [['--upstream', 'http://127.0.0.1:1', '--forward-header', 'X Tenant'], /--forward-header "X Tenant".*header name/],
      [['--redis', 'http://cache:6379'], /Invalid --redis: use a redis:\/\/ or rediss:\/\/ URL/],
      [['--redis', 'redis://127.0.0.1:1', '--state-file', 'state.json'], /--state-file cannot go with --redis/],
      [['--redis-prefix', 'app:'], /--redis-prefix and --job-lease need --redis/],
      [['--redis', 'redis://127.0.0.1:1', '--job-lease', 'long'], /--job-lease "long"/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['server', ...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(message);
    }
    // Sixteen CLI starts one after the other: on a busy machine each can take a few seconds.
  }, 120_000);

  it('--flag 25% --flag-group rolls WebSocket out to a quarter of identities, bucketed in that group', async () => {
    const { child, listening } = await startServerCli({ args: ['--flag', '25%', '--flag-group', 'checkout'] });
    const ids = Array.from({ length: 100 }, (_, i) => `user-${i}`);
    const answers = await Promise.all(ids.map(async (id) => (await (await fetch(`${listening.url}/api/config?stickiness=${id}`)).json()) as { flag: { value: boolean; percentage: number; groupId: string } }));
    expect(answers[0]?.flag).toMatchObject({ percentage: 25, groupId: 'checkout' });
    expect(ids.filter((_, i) => answers[i]?.flag.value)).toEqual(ids.filter((id) => inRollout(id, 'checkout', 25)));
    child.kill('SIGTERM');
    expect((await child).exitCode).toBe(0);
    const refused = await runCli(['server', '--flag', '150%']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/--flag "150%".*a percentage of identities such as 25%/);
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

  it('--upstream bridges a legacy SSE server: its streams become sse: channels, with the listed headers forwarded, and /health shows the bridge', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const legacy: Server = createHttpServer((req, res) => {
      seen.push({ url: req.url, tenant: req.headers['x-tenant'], cookie: req.headers.cookie });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('id: 7\nevent: tick\ndata: {"n":1}\n\n');
    });
    await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${(legacy.address() as AddressInfo).port}`;
    try {
      const { child, listening } = await startServerCli({ args: ['--upstream', upstream, '--upstream-route', '/feeds/*,/public', '--shared-route', '/public', '--forward-header', 'X-Tenant'] });
      expect(listening).toMatchObject({ upstream });
      const client = await RawClient.connect(listening.wsUrl, { headers: { cookie: 'session=1', 'x-tenant': 'acme' } });
      const reply = await client.request('subscribe', null, 'sse:/feeds/a');
      expect(reply.type).toBe('reply');
      expect(await client.next((m) => m.type === 'tick')).toMatchObject({ channel: 'sse:/feeds/a', eventId: '7', seq: 1, payload: '{"n":1}' });
      expect((await client.request('subscribe', null, 'sse:/admin')).error?.code).toBe('NO_ROUTE');
      expect(seen).toEqual([{ url: '/feeds/a', tenant: 'acme', cookie: 'session=1' }]);
      const health = (await (await fetch(`${listening.url}/health`)).json()) as { bridge?: { upstream: string } };
      expect(health.bridge?.upstream).toContain(`127.0.0.1:${(legacy.address() as AddressInfo).port}`);
      client.close();
      child.kill('SIGTERM');
      expect((await child).exitCode).toBe(0);
    } finally {
      legacy.closeAllConnections();
      legacy.close();
    }
  });
});
