/**
 * Attacks on the operator endpoints (`/admin/flag`, `/admin/kick`, `/admin/faults`): off without
 * an admin token, never loopback through a proxy, never a token from the URL, never a browser page.
 * Each case is a real request against a real server on port 0.
 */
import { createServer as createHttpServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serversPerTest } from '../helpers/reference-servers.js';
import { startServerCli } from '../helpers/server-process.js';
import { answer, postJson } from './http-probe.js';

const { start } = serversPerTest();

/** A same-host reverse proxy as nginx or Caddy would be: every request reaches the server from 127.0.0.1, with `X-Forwarded-For` added. */
async function reverseProxy(targetPort: number, extraHeaders: (clientAddress: string) => Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const proxy: Server = createHttpServer((req, res) => {
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: { ...req.headers, ...extraHeaders(req.socket.remoteAddress ?? '') } },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => proxy.close(() => resolve())),
  };
}

const proxies: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

describe('admin endpoints without an admin token', () => {
  it('are off by default: 403 ADMIN_DISABLED, saying how to turn them on, and nothing changes', async () => {
    const s = await start({ flag: { value: true } });
    for (const path of ['/admin/flag', '/admin/kick', '/admin/faults']) {
      const response = await postJson(`${s.url}${path}`, { value: false, latencyMs: 500 });
      expect(response.status).toBe(403);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('ADMIN_DISABLED');
      expect(body.error.message).toContain('--admin-loopback');
      expect(body.error.message).toContain('WSMIG_ADMIN_TOKEN');
    }
    expect(s.flag).toBe(true);
    expect(s.faults.latencyMs).toBe(0);
  });

  it('with adminLoopback, answer a direct loopback peer but not one behind a same-host reverse proxy (X-Forwarded-For)', async () => {
    const s = await start({ flag: { value: true }, adminLoopback: true });
    const proxy = await reverseProxy(s.port, (client) => ({ 'x-forwarded-for': client }));
    proxies.push(proxy);
    // Through the proxy the server's peer is 127.0.0.1, as for a local process: only the header tells them apart.
    expect(await answer(await postJson(`${proxy.url}/admin/flag`, { value: false }))).toEqual({ status: 403, code: 'ADMIN_NOT_LOOPBACK' });
    expect(s.flag).toBe(true);
    expect(await answer(await postJson(`${proxy.url}/admin/kick`, {}))).toEqual({ status: 403, code: 'ADMIN_NOT_LOOPBACK' });
    // The public endpoints still work through it.
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200);
    expect((await postJson(`${s.url}/admin/flag`, { value: false })).status).toBe(200);
    expect(s.flag).toBe(false);
  });

  it('with adminLoopback, treat Forwarded, X-Forwarded-For and X-Real-IP alike: never loopback', async () => {
    const s = await start({ adminLoopback: true });
    const headers: Array<Record<string, string>> = [{ forwarded: 'for=203.0.113.7' }, { 'x-forwarded-for': '127.0.0.1' }, { 'x-real-ip': '127.0.0.1' }];
    for (const header of headers) {
      expect(await answer(await postJson(`${s.url}/admin/kick`, {}, header)), JSON.stringify(header)).toEqual({ status: 403, code: 'ADMIN_NOT_LOOPBACK' });
    }
    expect((await postJson(`${s.url}/admin/kick`, {})).status).toBe(200);
  });

  it('refuse a browser page (Origin), even from loopback: 403 ADMIN_FROM_BROWSER', async () => {
    const s = await start({ adminLoopback: true, flag: { value: true } });
    expect(await answer(await postJson(`${s.url}/admin/flag`, { value: false }, { origin: s.url }))).toEqual({ status: 403, code: 'ADMIN_FROM_BROWSER' });
    expect(s.flag).toBe(true);
  });

  it('refuse a body that is not JSON: 415, and nothing changes', async () => {
    const s = await start({ adminLoopback: true, flag: { value: true } });
    const response = await fetch(`${s.url}/admin/flag`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"value":false}' });
    expect(await answer(response)).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(s.flag).toBe(true);
  });
});

describe('admin endpoints with an admin token', () => {
  it('never read the token from the URL: 400 TOKEN_IN_URL, even with the right token; the header works', async () => {
    const s = await start({ adminToken: 'adm-s3cret', flag: { value: true } });
    for (const query of ['token=adm-s3cret', 'access_token=adm-s3cret']) {
      expect(await answer(await postJson(`${s.url}/admin/flag?${query}`, { value: false }))).toEqual({ status: 400, code: 'TOKEN_IN_URL' });
    }
    expect(s.flag).toBe(true);
    expect(await answer(await postJson(`${s.url}/admin/flag`, { value: false }))).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect((await postJson(`${s.url}/admin/flag`, { value: false }, { authorization: 'Bearer adm-s3cret' })).status).toBe(200);
    expect(s.flag).toBe(false);
  });

  it('work through a proxy with the token (the token, not the address, is the credential)', async () => {
    const s = await start({ adminToken: 'adm-s3cret', adminLoopback: true });
    const proxy = await reverseProxy(s.port, (client) => ({ 'x-forwarded-for': client }));
    proxies.push(proxy);
    expect(await answer(await postJson(`${proxy.url}/admin/kick`, {}))).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect((await postJson(`${proxy.url}/admin/kick`, {}, { authorization: 'Bearer adm-s3cret' })).status).toBe(200);
  });
});

describe('wsmig server --admin-loopback', () => {
  it('opens /admin/* to loopback and warns at start; without it /admin/* is off', async () => {
    const open = await startServerCli({ args: ['--admin-loopback'] });
    const closed = await startServerCli();
    try {
      expect((await postJson(`${open.listening.url}/admin/kick`, {})).status).toBe(200);
      expect(await answer(await postJson(`${closed.listening.url}/admin/kick`, {}))).toEqual({ status: 403, code: 'ADMIN_DISABLED' });
    } finally {
      open.child.kill('SIGTERM');
      closed.child.kill('SIGTERM');
    }
    const [opened, shut] = await Promise.all([open.child, closed.child]);
    expect(String(opened.stderr)).toMatch(/"level":40.*\/admin\/\* .*open to every local process without a token \(--admin-loopback\)/);
    expect(String(shut.stderr)).not.toContain('--admin-loopback');
  }, 30_000);
});
