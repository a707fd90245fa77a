/**
 * The gateway attached to the HTTP servers of real frameworks (the recipes of docs/server.md,
 * "Embedding the gateway"): node:http, Express and Hono's node adapter. In each, a WebSocket client
 * gets the app's published events and handled replies, while the app's own HTTP routes and a second
 * WebSocket endpoint on the same server keep working.
 */
import { createServer as createNodeServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createGateway, type Gateway } from '../../../reference/server/index.js';
import { RawClient } from './raw-client.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve) => {
    const port = (): number => (server.address() as AddressInfo).port;
    if (server.listening) resolve(port());
    else server.once('listening', () => resolve(port()));
  });
}

/** A second WebSocket endpoint of the app at `/other` (ws's recipe for several servers on one HTTP server): it echoes. */
function otherWebSocketEndpoint(server: Server): void {
  const other = new WebSocketServer({ noServer: true });
  other.on('connection', (ws) => ws.on('message', (data) => ws.send(`other:${String(data)}`)));
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/other') other.handleUpgrade(req, socket, head, (ws) => other.emit('connection', ws, req));
  });
  cleanups.push(async () => other.close());
}

async function otherEndpointAnswers(port: number): Promise<string> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/other`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const answer = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
  ws.send('hi');
  const text = await answer;
  ws.close();
  return text;
}

/** What every framework recipe must give: events with seq and eventId, replies, the app's routes, the other WebSocket path. */
async function checkRecipe(server: Server): Promise<void> {
  otherWebSocketEndpoint(server);
  const gateway: Gateway = await createGateway({ server, channels: ['news:*'] });
  cleanups.push(() => gateway.close());
  gateway.handle('greet', (payload) => ({ hello: (payload as { name: string }).name }));
  const port = await listening(server);
  expect(gateway.url).toBeUndefined();

  const client = await RawClient.connect(`ws://127.0.0.1:${port}/ws`);
  const subscribed = await client.request('subscribe', null, 'news:1');
  expect(subscribed.payload).toEqual({ channel: 'news:1', epoch: gateway.epoch, seq: 0, replayed: 0 });
  expect(await gateway.publish('news:1', 'headline', { title: 'first' }, { id: 'a1' })).toEqual({ seq: 1, epoch: gateway.epoch });
  const event = await client.next((m) => m.type === 'headline');
  expect(event).toMatchObject({ id: subscribed.id, channel: 'news:1', seq: 1, epoch: gateway.epoch, eventId: 'a1', payload: { title: 'first' } });
  expect((await client.request('greet', { name: 'Ada' })).payload).toEqual({ hello: 'Ada' });
  client.close();

  const page = await fetch(`http://127.0.0.1:${port}/hello`);
  expect(await page.text()).toBe('hello from the app');
  expect(await otherEndpointAnswers(port)).toBe('other:hi');
}

describe('createGateway attached to an app server (recipes of docs/server.md)', () => {
  it('node:http', async () => {
    const server = createNodeServer((req, res) => {
      if (req.url === '/hello') res.end('hello from the app');
      else res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    cleanups.push(() => closeServer(server));
    await checkRecipe(server);
  });

  it('Express (app.listen)', async () => {
    const app = express();
    app.get('/hello', (_req, res) => {
      res.send('hello from the app');
    });
    const server = app.listen(0, '127.0.0.1');
    cleanups.push(() => closeServer(server));
    await checkRecipe(server);
  });

  it("Hono's node adapter (serve)", async () => {
    const app = new Hono();
    app.get('/hello', (c) => c.text('hello from the app'));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    cleanups.push(() => closeServer(server));
    await checkRecipe(server);
  });
});
