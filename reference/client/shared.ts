/**
 * Lazily created, application-wide instances: the one `WSClient` and `SyncManager` most apps need,
 * so that migrated call sites (see the `sse-to-ws` codemod) need no wiring of their own.
 */
import { defaultWsEndpoint } from './endpoints.js';
import { SyncManager, type SyncManagerOptions } from './sync-manager.js';
import { WSClient, type WSOptions } from './ws-client.js';

let sharedClient: WSClient | undefined;
let sharedManager: SyncManager | undefined;

/**
 * The application's shared {@link WSClient}, created on first use. Its URL comes from
 * `options.url`, else the `WS_ENDPOINT` environment variable (the seed's), else the page's host
 * (`ws(s)://<host>/ws`). Options count on the first call only. A shared client that was closed is
 * connected again.
 * @throws TypeError when no URL can be found.
 */
export function getSharedClient(options: Partial<WSOptions> = {}): WSClient {
  if (sharedClient) {
    if (sharedClient.state === 'closed') sharedClient.connect();
    return sharedClient;
  }
  const url = options.url ?? defaultWsEndpoint();
  if (url === undefined) throw new TypeError('getSharedClient: no WebSocket URL: pass { url }, set WS_ENDPOINT, or call it from a page served by the WebSocket host');
  sharedClient = new WSClient({ ...options, url });
  return sharedClient;
}

/**
 * The application's shared {@link SyncManager} over {@link getSharedClient}, created on first use.
 * `options.client` configures the shared client if it does not exist yet.
 */
export function getSharedSyncManager(options: SyncManagerOptions & { client?: Partial<WSOptions> } = {}): SyncManager {
  if (sharedManager) return sharedManager;
  const { client, ...managerOptions } = options;
  const ws = getSharedClient(client);
  sharedManager = new SyncManager(ws, managerOptions);
  return sharedManager;
}
