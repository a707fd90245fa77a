/**
 * Oversized requests: frames over `maxPayloadBytes` (close 1009), request heads over
 * `maxHeaderBytes` (431, on plain requests and upgrades alike), bodies over the endpoint's limit (413).
 * Each case is a real request against a real server on port 0.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serversPerTest } from '../helpers/reference-servers.js';
import { RawClient } from '../reference/server/raw-client.js';
import { answer, postJson } from './http-probe.js';

const { start } = serversPerTest();

/** Sends a raw HTTP request head and resolves with the whole answer the server writes before closing. */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let text = '';
    socket.on('data', (chunk) => (text += String(chunk)));
    socket.on('close', () => resolve(text));
    socket.on('error', (error) => (text ? resolve(text) : reject(error)));
  });
}

describe('oversized frames', () => {
  it('close the connection with 1009, and the server keeps serving others', async () => {
    const s = await start({ maxPayloadBytes: 1024 });
    const big = await RawClient.connect(s.wsUrl);
    big.send({ id: 'r1', channel: 'test', type: 'echo', payload: 'x'.repeat(2048) });
    expect((await big.closed).code).toBe(1009);
    const fresh = await RawClient.connect(s.wsUrl);
    expect((await fresh.request('echo', 'small')).payload).toBe('small');
    fresh.close();
  });
});

describe('oversized request heads', () => {
  it('get 431 HEADERS_TOO_LARGE over Node\'s 16 KiB default, on a plain request and on an upgrade', async () => {
    const s = await start();
    const padding = `X-Padding: ${'a'.repeat(20_000)}\r\n`;
    const plain = await rawRequest(s.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n${padding}\r\n`);
    expect(plain).toMatch(/^HTTP\/1\.1 431 /);
    expect(plain).toContain('"code":"HEADERS_TOO_LARGE"');
    const upgrade = await rawRequest(
      s.port,
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${padding}\r\n`,
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 431 /);
    expect(s.connections).toBe(0);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('follow maxHeaderBytes', async () => {
    const s = await start({ maxHeaderBytes: 4096 });
    const response = await rawRequest(s.port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${'c'.repeat(6_000)}\r\n\r\n`);
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    expect((await fetch(`${s.url}/health`, { headers: { 'x-padding': 'a'.repeat(2_000) } })).status).toBe(200);
  });
});

describe('oversized bodies', () => {
  it('get 413 on the ticket and admin endpoints', async () => {
    const s = await start({ token: 't', adminLoopback: true });
    expect((await answer(await postJson(`${s.url}/api/ws-ticket`, { pad: 'x'.repeat(8_000) }, { authorization: 'Bearer t' }))).status).toBe(413);
    expect((await answer(await postJson(`${s.url}/admin/kick`, { pad: 'x'.repeat(100_000) }))).status).toBe(413);
  });
});
