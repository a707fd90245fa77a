/**
 * WebSocket services wsmig did not write, started in-process on 127.0.0.1 port 0: a JSON-RPC 2.0
 * server from rpc-websockets, and a GraphQL subscription server from graphql-ws (the
 * graphql-transport-ws protocol) over `ws`. Both push events numbered per stream with the time they
 * were sent, so a profile that points at those fields can measure loss and latency.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { useServer } from 'graphql-ws/use/ws';
import { Server as RpcServer } from 'rpc-websockets';
import { WebSocketServer } from 'ws';

export interface ThirdPartyServer {
  url: string;
  close(): Promise<void>;
}

/** Events pushed every this many ms. */
const EVENT_INTERVAL_MS = 20;

/**
 * rpc-websockets: method `echo` answers with its params; clients subscribe to the event `tick`
 * with its `rpc.on` method and get `{ notification: 'tick', params: { seq, ts } }`.
 */
export async function startJsonRpcServer(): Promise<ThirdPartyServer> {
  const server = new RpcServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.on('listening', () => resolve()));
  server.register('echo', (params: unknown) => params);
  server.event('tick');
  let seq = 0;
  const ticker = setInterval(() => {
    seq += 1;
    server.emit('tick', { seq, ts: Date.now() });
  }, EVENT_INTERVAL_MS);
  const { port } = server.wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: async () => {
      clearInterval(ticker);
      await server.close();
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// The schema must come from the same copy of graphql that graphql-ws loads (Node's CommonJS one);
// a bundler-resolved ESM copy is "another realm" to it, and it closes every connection with 4500.
const { GraphQLFloat, GraphQLInt, GraphQLObjectType, GraphQLSchema, GraphQLString } = createRequire(import.meta.url)('graphql') as typeof import('graphql');

const tickType = new GraphQLObjectType({
  name: 'Tick',
  fields: { seq: { type: GraphQLInt }, ts: { type: GraphQLFloat } },
});

/** Query `hello`; subscription `ticks { seq ts }`: one tick every 20 ms, numbered from 1 per subscription. */
const schema = new GraphQLSchema({
  query: new GraphQLObjectType({ name: 'Query', fields: { hello: { type: GraphQLString, resolve: () => 'world' } } }),
  subscription: new GraphQLObjectType({
    name: 'Subscription',
    fields: {
      ticks: {
        type: tickType,
        subscribe: async function* ticks() {
          for (let seq = 1; ; seq += 1) {
            await sleep(EVENT_INTERVAL_MS);
            yield { ticks: { seq, ts: Date.now() } };
          }
        },
      },
    },
  }),
});

/** graphql-ws on a `ws` server at /graphql. */
export async function startGraphqlWsServer(): Promise<ThirdPartyServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/graphql' });
  await once(wss, 'listening');
  const disposable = useServer({ schema }, wss);
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    close: async () => {
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * An SSE service written with express and better-sse, and nothing else (no WebSocket endpoint: the
 * SSE scenarios take its http:// address as the target): `GET /api/ticks` streams `tick` events `{ seq, ts }` (id = seq) and
 * drops each stream after `dropAfter` events; a stream resumed with Last-Event-ID gets what it
 * missed from the history. `POST /api/jobs` streams ten `progress` events and ends.
 */
export async function startSseServer(options: { dropAfter: number }): Promise<ThirdPartyServer> {
  const { default: express } = await import('express');
  const { createSession } = await import('better-sse');
  const { createServer } = await import('node:http');
  const app = express();
  const history: { seq: number; ts: number }[] = [];
  const sessions = new Set<{ push: (data: unknown, event: string, id: string) => void; sent: number; drop: () => void }>();
  app.get('/api/ticks', (req, res) => {
    void createSession(req, res, { retry: 50, keepAlive: 0 }).then((session) => {
      const after = Number(session.lastId || 0);
      const client = {
        push: (data: unknown, event: string, id: string) => session.push(data, event, id),
        sent: 0,
        drop: () => res.destroy(),
      };
      for (const tick of history) if (after > 0 && tick.seq > after) session.push(tick, 'tick', String(tick.seq));
      sessions.add(client);
      res.on('close', () => sessions.delete(client));
    });
  });
  app.post('/api/jobs', express.json(), (req, res) => {
    void createSession(req, res, { keepAlive: 0 }).then(async (session) => {
      for (let step = 1; step <= 10; step += 1) {
        await sleep(10);
        session.push({ job: (req.body as { job?: unknown }).job, step, ts: Date.now() }, 'progress', String(step));
      }
      res.end();
    });
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let seq = 0;
  const ticker = setInterval(() => {
    seq += 1;
    const tick = { seq, ts: Date.now() };
    history.push(tick);
    if (history.length > 1_000) history.shift();
    for (const client of sessions) {
      client.push(tick, 'tick', String(seq));
      client.sent += 1;
      if (client.sent >= options.dropAfter) client.drop();
    }
  }, EVENT_INTERVAL_MS);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      clearInterval(ticker);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
