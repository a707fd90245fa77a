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
