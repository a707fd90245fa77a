import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import { ServiceCredentials } from '../../scenarios/credentials.js';
import { connectExternalTarget, startEmbeddedTarget, type LoadTarget } from '../../scenarios/target.js';

// The embedded target spawns the real CLI (dist/), built by `npm test` before vitest runs.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function openSocket(url: string, headers: Record<string, string> = {}): Promise<{ closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const closed = new Promise<number>((done) => socket.once('close', (code) => done(code)));
    socket.once('open', () => resolve({ closed }));
    socket.once('error', reject);
  });
}

describe('the embedded target', () => {
  it('starts the reference server as a child process, restarts it on the same port, and stops it', async () => {
    const target: LoadTarget = await startEmbeddedTarget();
    cleanups.push(() => target.close());
    expect(target.embedded).toBe(true);
    expect(target.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    const health = (await (await fetch(`${target.httpUrl}/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');

    const client = await openSocket(target.wsUrl);
    await target.restart();
    // The restart drains: the client is told to go away with 1012 (service restart).
    expect(await client.closed).toBe(1012);
    expect(((await (await fetch(`${target.httpUrl}/health`)).json()) as { status: string }).status).toBe('ok');
    expect(target.restarting).toBe(false);
    expect(typeof (await target.restartKeepsHistory())).toBe('boolean');

    const kicked = await openSocket(target.wsUrl);
    expect(await target.kick()).toBe(1);
    expect(await kicked.closed).toBe(4300);

    await target.close();
    await expect(fetch(`${target.httpUrl}/health`)).rejects.toThrow();
    expect(target.problem).toBeUndefined();
  }, 60_000);
});

describe('the embedded target with credentials', () => {
  it('asks for exactly the token given, and kicks with the admin token', async () => {
    const credentials = new ServiceCredentials({ token: 'embedded-token-9a', tokenHint: 'WSMIG_TOKEN', adminTokenHint: 'WSMIG_ADMIN_TOKEN' });
    const target = await startEmbeddedTarget({ credentials });
    cleanups.push(() => target.close());
    await expect(openSocket(target.wsUrl)).rejects.toThrow(/401/);
    const client = await openSocket(target.wsUrl, { authorization: 'Bearer embedded-token-9a' });
    // Without an admin token given, the server gets one of wsmig's own, so a storm can still kick.
    expect(await target.kick()).toBe(1);
    expect(await client.closed).toBe(4300);
    expect(JSON.stringify(target.credentials)).not.toContain('embedded-token-9a');
  }, 60_000);
});

describe('an external target', () => {
  let server: ReferenceServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('accepts a reachable WebSocket URL and derives the HTTP base from it', async () => {
    server = await createServer({ port: 0 });
    const target = await connectExternalTarget(server.wsUrl);
    expect(target).toMatchObject({ wsUrl: server.wsUrl, httpUrl: server.url, embedded: false, canRestart: false });
    expect(await target.restartKeepsHistory()).toBe(false);
    await expect(target.restart()).rejects.toThrow(/cannot restart it: use cutMode kick or client-close/);
  });

  it('refuses a malformed or non-WebSocket URL with a usage error', async () => {
    await expect(connectExternalTarget('not a url')).rejects.toMatchObject({ code: 'BAD_TARGET', exitCode: 2 });
    await expect(connectExternalTarget('ftp://127.0.0.1:3000/ws')).rejects.toThrow(/must start with ws:\/\/ or wss:\/\//);
    // An http:// URL only for runs that need no WebSocket (the SSE scenarios); the message names the ws:// URL to give instead.
    await expect(connectExternalTarget('http://127.0.0.1:3000/ws')).rejects.toThrow(/need the WebSocket endpoint \(ws:\/\/ or wss:\/\/, e\.g\. ws:\/\/127\.0\.0\.1:3000\/ws\)/);
  });

  it('opens with the service\'s token, kicks with the admin token, and refuses a missing or wrong token naming the variable', async () => {
    server = await createServer({ port: 0, token: 'ext-token-4c', adminToken: 'ext-admin-7e' });
    const credentials = new ServiceCredentials({ token: 'ext-token-4c', adminToken: 'ext-admin-7e', tokenHint: 'STAGING_TOKEN (--token-env)', adminTokenHint: 'WSMIG_ADMIN_TOKEN' });
    const target = await connectExternalTarget(server.wsUrl, { credentials });
    const client = await openSocket(server.wsUrl, { authorization: 'Bearer ext-token-4c' });
    expect(await target.kick()).toBe(1);
    expect(await client.closed).toBe(4300);

    const anonymous = await connectExternalTarget(server.wsUrl).catch((error: unknown) => error);
    expect(anonymous).toMatchObject({ code: 'TARGET_UNAUTHORIZED', exitCode: 2 });
    expect((anonymous as Error).message).toBe(`The target ${server.wsUrl}: the service answered 401: set WSMIG_TOKEN to its token. Nothing was measured.`);
    const wrong = new ServiceCredentials({ token: 'not-it', tokenHint: 'STAGING_TOKEN (--token-env)', adminTokenHint: 'WSMIG_ADMIN_TOKEN' });
    const refused = await connectExternalTarget(server.wsUrl, { credentials: wrong }).catch((error: unknown) => error);
    expect((refused as Error).message).toContain('answered 401 to the token in STAGING_TOKEN (--token-env)');
    expect((refused as Error).message).not.toContain('not-it');
    const noAdmin = await connectExternalTarget(server.wsUrl, { credentials: new ServiceCredentials({ token: 'ext-token-4c', tokenHint: 'WSMIG_TOKEN', adminTokenHint: 'WSMIG_ADMIN_TOKEN' }) });
    await expect(noAdmin.kick()).rejects.toMatchObject({ code: 'KICK_FAILED', message: expect.stringContaining('set WSMIG_ADMIN_TOKEN to its admin token') });
  });

  it('refuses an unreachable target, saying what to check', async () => {
    await expect(connectExternalTarget('ws://127.0.0.1:9/ws', { timeoutMs: 2_000 })).rejects.toMatchObject({ code: 'TARGET_UNREACHABLE', exitCode: 2 });
  });

  it('refuses a URL that answers HTTP instead of upgrading', async () => {
    const http = createHttpServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => http.close(() => resolve())));
    const { port } = http.address() as AddressInfo;
    await expect(connectExternalTarget(`ws://127.0.0.1:${port}/nope`)).rejects.toThrow(/answered HTTP 404 instead of a WebSocket upgrade/);
  });
});
