/**
 * Which transport the drop-in adapters of one `WSClient` use now: WebSocket while the server's flag
 * (`GET <httpUrl>/api/config` for the client's stickiness id and token, as `SyncManager` reads it)
 * says `ws` and the socket works; real SSE
 * when the flag says `sse`, or after the socket failed `fallbackAfterFailures` connections in a row
 * (or gave up). It returns to WebSocket when the socket opens again. One selector per client, shared
 * by all its adapters, polling only while an adapter holds it.
 */
import { systemClock, type Clock } from '../clock.js';
import { TypedEmitter } from '../emitter.js';
import { httpUrlFromWsUrl } from '../endpoints.js';
import { TransportConfigPoller, type SyncTransport } from '../transport-config.js';
import type { WSClient } from '../ws-client.js';

/** How an adapter picks its transport. */
export type AdapterTransportMode = 'auto' | 'ws' | 'sse';

/** Payload of the selector's `change` event. */
export interface AdapterTransportChange {
  transport: SyncTransport;
  previous: SyncTransport;
  /** `config`: the server's flag; `ws-failing`: the socket keeps failing; `ws-recovered`: it opened again. */
  reason: 'config' | 'ws-failing' | 'ws-recovered';
}

/** Options of a {@link TransportSelector}. */
export interface TransportSelectorOptions {
  /** Base of `/api/config`. Default: from the client's URL (`ws://h/ws` → `http://h`). */
  httpUrl?: string;
  /** `fetch` for `/api/config`. */
  fetch: typeof fetch;
  /** How often `/api/config` is read while an adapter holds the selector, in ms. Default 15,000. */
  configPollMs?: number;
  /** Closes without an open in between before the socket counts as failing. Default 3. */
  fallbackAfterFailures?: number;
  /** Who the client is for the flag's percentage rollout, sent to `/api/config`. Default: the client's `stickinessId`. */
  stickinessId?: string;
  clock?: Clock;
}

/** The longest wait for the first `/api/config` read before an adapter starts anyway, in ms. */
const CONFIG_TIMEOUT_MS = 5_000;

export class TransportSelector {
  readonly #client: WSClient;
  readonly #poller: TransportConfigPoller;
  readonly #clock: Clock;
  readonly #fallbackAfterFailures: number;
  readonly #events = new TypedEmitter<{ change: AdapterTransportChange }>();
  #flag: SyncTransport | undefined;
  #closesWithoutOpen = 0;
  #gaveUp: boolean;
  #transport: SyncTransport;
  #holders = 0;
  #ready: Promise<void> | undefined;

  constructor(client: WSClient, options: TransportSelectorOptions) {
    this.#client = client;
    this.#clock = options.clock ?? systemClock;
    this.#fallbackAfterFailures = Math.max(1, options.fallbackAfterFailures ?? 3);
    this.#poller = new TransportConfigPoller({
      fetch: options.fetch,
      httpUrl: (options.httpUrl ?? httpUrlFromWsUrl(client.url)).replace(/\/$/, ''),
      clock: this.#clock,
      intervalMs: options.configPollMs ?? 15_000,
      timeoutMs: CONFIG_TIMEOUT_MS,
      stickinessId: options.stickinessId ?? client.stickinessId,
      token: client.token,
      onConfig: (config) => {
        this.#flag = config.transport;
        // The flag wants WebSocket and the socket gave up: try it again once per poll.
        if (config.transport === 'ws' && this.#gaveUp && this.#client.state === 'closed') this.#client.connect();
        this.#evaluate('config');
      },
    });
    // A client that gave up before any adapter came: SSE until it opens again.
    this.#gaveUp = client.state === 'closed';
    this.#transport = this.#gaveUp ? 'sse' : 'ws';
    // Watched for the client's whole life (it is cheap): a wsFetch holds the selector only for an instant.
    client.on('open', () => {
      this.#closesWithoutOpen = 0;
      this.#gaveUp = false;
      this.#evaluate('ws-recovered');
    });
    client.on('close', () => {
      this.#closesWithoutOpen += 1;
      this.#evaluate('ws-failing');
    });
    client.on('give-up', () => {
      this.#gaveUp = true;
      this.#evaluate('ws-failing');
    });
  }

  /** The transport adapters should use now. */
  get transport(): SyncTransport {
    return this.#transport;
  }

  /**
   * Registers an adapter: the first one starts polling `/api/config` (the socket's health is
   * watched always). Resolves once the first read
   * settled (at most 5 s), so a first stream does not open on WebSocket only to move to SSE at once.
   * Call the returned function when the adapter closes.
   */
  hold(): { ready: Promise<void>; release: () => void } {
    this.#holders += 1;
    if (this.#holders === 1) {
      this.#ready ??= this.#poller.pollNow().then(() => undefined);
      this.#poller.start();
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.#holders -= 1;
      if (this.#holders === 0) this.#poller.stop();
    };
    return { ready: this.#ready ?? Promise.resolve(), release };
  }

  /** Listens to transport changes; returns the remover. */
  onChange(listener: (change: AdapterTransportChange) => void): () => void {
    return this.#events.on('change', listener);
  }

  #evaluate(reason: AdapterTransportChange['reason']): void {
    const failing = this.#gaveUp || this.#closesWithoutOpen >= this.#fallbackAfterFailures;
    const next: SyncTransport = this.#flag === 'sse' || failing ? 'sse' : this.#client.state === 'open' || this.#transport === 'ws' ? 'ws' : 'sse';
    const previous = this.#transport;
    if (next === previous) return;
    this.#transport = next;
    this.#events.emit('change', { transport: next, previous, reason });
  }
}

const selectors = new WeakMap<WSClient, TransportSelector>();

/** The selector of `client`, created on first use (later calls' options are ignored). */
export function transportSelectorFor(client: WSClient, options: TransportSelectorOptions): TransportSelector {
  let selector = selectors.get(client);
  if (!selector) {
    selector = new TransportSelector(client, options);
    selectors.set(client, selector);
  }
  return selector;
}
