/**
 * Which transport the server's feature flag selects for this client: `GET
 * <httpUrl>/api/config?stickiness=<id>` (with the bearer token, whose identity the server prefers)
 * → `{ transport: "ws" | "sse", … }`, read once at start and then every poll interval, so that a
 * rollback (flag off) moves clients to the legacy SSE path without a redeploy, and back, and a
 * percentage rollout keeps each client in its own cohort.
 */
import type { Clock, TimerHandle } from './clock.js';
import { withBearer } from './http.js';
import { defaultStickinessId } from './stickiness.js';
import type { TokenProvider } from './ws-client.js';

/** A transport for sync events. */
export type SyncTransport = 'ws' | 'sse';

/** The parts of `/api/config` the client uses. */
export interface TransportConfig {
  transport: SyncTransport;
  wsEndpoint?: string;
}

/** Reads `/api/config`; rejects on a network error, a timeout, a non-2xx answer or an unexpected body. */
async function fetchTransportConfig(options: TransportConfigPollerOptions): Promise<TransportConfig> {
  const { fetch: fetchImpl, httpUrl, clock, timeoutMs, token } = options;
  const abort = new AbortController();
  const timer = clock.setTimeout(() => abort.abort(), timeoutMs);
  try {
    const headers = withBearer({ Accept: 'application/json' }, typeof token === 'function' ? await token() : token);
    const stickiness = options.stickinessId ?? defaultStickinessId();
    const response = await fetchImpl(`${httpUrl}/api/config?stickiness=${encodeURIComponent(stickiness)}`, { headers, signal: abort.signal });
    if (!response.ok) throw new Error(`GET ${httpUrl}/api/config answered HTTP ${response.status}`);
    const body = (await response.json()) as { transport?: unknown; wsEndpoint?: unknown };
    if (body.transport !== 'ws' && body.transport !== 'sse') throw new Error(`GET ${httpUrl}/api/config: "transport" must be "ws" or "sse"`);
    return typeof body.wsEndpoint === 'string' ? { transport: body.transport, wsEndpoint: body.wsEndpoint } : { transport: body.transport };
  } finally {
    clock.clearTimeout(timer);
  }
}

export interface TransportConfigPollerOptions {
  fetch: typeof fetch;
  httpUrl: string;
  clock: Clock;
  intervalMs: number;
  /** Timeout of one read, in ms. */
  timeoutMs: number;
  /** Sent as `?stickiness=`: the server answers for this id's cohort. Absent: the session's ({@link defaultStickinessId}). */
  stickinessId: string | undefined;
  /** Sent as the bearer token, when there is one: an identity behind it is bucketed instead of the stickiness id. */
  token: TokenProvider | undefined;
  /** Called with every config read; a read that fails changes nothing (the caller keeps its decision). */
  onConfig(config: TransportConfig): void;
}

/** Polls `/api/config` on an interval; one read at a time. */
export class TransportConfigPoller {
  readonly #options: TransportConfigPollerOptions;
  #timer: TimerHandle | undefined;
  #stopped = true;

  constructor(options: TransportConfigPollerOptions) {
    this.#options = options;
  }

  /** Reads the config now; resolves with it, or `undefined` when it could not be read. */
  async pollNow(): Promise<TransportConfig | undefined> {
    try {
      const config = await fetchTransportConfig(this.#options);
      this.#options.onConfig(config);
      return config;
    } catch {
      return undefined;
    }
  }

  /** Polls every interval until {@link stop}. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    this.#timer = this.#options.clock.setTimeout(() => {
      this.#timer = undefined;
      void this.pollNow().finally(() => {
        if (!this.#stopped) this.#schedule();
      });
    }, this.#options.intervalMs);
  }
}
