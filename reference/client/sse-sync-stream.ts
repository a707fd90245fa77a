/**
 * One chat's sync over the legacy SSE endpoints, with `fetch` and `eventsource-parser` (works in
 * browsers and Node alike, and unlike `EventSource` can send an `Authorization` header):
 * - start: `POST /commands/sync` with `{ chatId, options }` (the options reach the server; the
 *   request joins a run already going);
 * - follow or resume: `GET /api/sync/:chatId/events` with `Last-Event-ID: <epoch>-<seq>`, which
 *   shares the WebSocket's seq space, so a switch between transports loses nothing.
 * A stream that breaks is resumed with the jittered backoff; `204` means nothing more will come.
 * A stream silent for `idleTimeoutMs` (no event, no keep-alive comment, or no answer at all) is
 * taken for half-open: it is aborted and resumed with `Last-Event-ID` like any broken stream.
 */
import type { EventSourceMessage } from 'eventsource-parser';
import { idleWatchdog, readSseEvents } from './adapters/sse-over-fetch.js';
import { formatEventId, parseEventId, type ChatId, type SyncOptions } from '../protocol/index.js';
import { reconnectDelayFor } from './backoff.js';
import { withBearer } from './http.js';
import type { Clock, TimerHandle } from './clock.js';
import { WSRequestError, asError } from './request-error.js';
import type { StreamPosition } from './sync-tracker.js';

/** SSE event names and the WebSocket event types they stand for. */
const TYPE_FOR_SSE_EVENT: Readonly<Record<string, SseSyncEvent['type']>> = {
  progress: 'sync:progress',
  complete: 'sync:complete',
  error: 'sync:error',
  resync: 'resync',
};

/** An event read from the stream, with the WebSocket type it corresponds to. */
export interface SseSyncEvent {
  type: 'sync:progress' | 'sync:complete' | 'sync:error' | 'resync';
  payload: unknown;
  seq: number | undefined;
  epoch: string | undefined;
}

/** How a broken stream is retried. */
export interface SseRetryOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Consecutive failed attempts before giving up. */
  maxAttempts: number;
}

export interface SseSyncStreamOptions {
  /** The server's HTTP base URL, e.g. `http://127.0.0.1:3000`. */
  httpUrl: string;
  chatId: ChatId;
  /** Start the sync with these options (`POST /commands/sync`); `undefined` follows it instead. */
  start: SyncOptions | undefined;
  fetch: typeof fetch;
  /** The bearer token for each request, if any. */
  token: () => Promise<string | undefined>;
  clock: Clock;
  random: () => number;
  retry: SseRetryOptions;
  /**
   * A stream (or a request waiting for its answer) silent this long is aborted and resumed, in ms;
   * 0 waits forever. Twice the server's keep-alive interval (`sseKeepAliveMs`, 15 s by default).
   */
  idleTimeoutMs: number;
  /** Where the chat's stream stands (read before each resume). */
  position: () => StreamPosition;
  onEvent(event: SseSyncEvent): void;
  /** The stream cannot go on: a refusal that retrying will not fix, or too many failed attempts. */
  onFailure(error: WSRequestError): void;
  /** The server answered `204`: the run ended at or before the resume point. */
  onEnd(): void;
}

export class SseSyncStream {
  readonly #options: SseSyncStreamOptions;
  #closed = false;
  #abort: AbortController | undefined;
  /** Stops the current attempt's idle watchdog: a closed stream keeps no timer (nor the process) alive. */
  #stopWatchdog: (() => void) | undefined;
  #sleepTimer: TimerHandle | undefined;
  #wake: (() => void) | undefined;

  constructor(options: SseSyncStreamOptions) {
    this.#options = options;
    void this.#run();
  }

  /** Stops reading and retrying; no callback fires after this. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort?.abort();
    this.#stopWatchdog?.();
    if (this.#sleepTimer !== undefined) this.#options.clock.clearTimeout(this.#sleepTimer);
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const { retry } = this.#options;
    let startOptions = this.#options.start;
    let failedAttempts = 0;
    let lastProblem = 'no attempt made';
    while (!this.#closed) {
      const abort = new AbortController();
      this.#abort = abort;
      let silent = false;
      const watchdog = idleWatchdog(this.#options.clock, this.#options.idleTimeoutMs, () => {
        silent = true;
        abort.abort(new Error(`no byte for ${this.#options.idleTimeoutMs} ms`));
      });
      this.#stopWatchdog = watchdog.stop;
      const progress = { readAnEvent: false };
      try {
        const response = await this.#send(startOptions, abort.signal);
        if (this.#closed) return;
        if (response.status === 204) {
          this.#options.onEnd();
          return;
        }
        if (!response.ok) {
          const refusal = await refusalOf(response, startOptions !== undefined);
          if (!refusal.retryable) {
            this.#fail(refusal);
            return;
          }
          lastProblem = refusal.message;
        } else {
          startOptions = undefined;
          await this.#read(response, watchdog.kick, progress);
          lastProblem = 'the stream ended before the sync did';
        }
      } catch (error) {
        if (this.#closed) return;
        lastProblem = silent ? `the stream was silent for ${this.#options.idleTimeoutMs} ms (half-open?)` : asError(error).message;
      } finally {
        watchdog.stop();
      }
      if (this.#closed) return;
      if (progress.readAnEvent) failedAttempts = 0;
      if (failedAttempts >= retry.maxAttempts) {
        this.#fail(new WSRequestError('DISCONNECTED', `the legacy SSE stream for chat ${this.#options.chatId} failed ${failedAttempts + 1} times in a row (last: ${lastProblem})`, { retryable: true, requestType: 'sync:events' }));
        return;
      }
      await this.#sleep(reconnectDelayFor(failedAttempts, { baseDelayMs: retry.baseDelayMs, maxDelayMs: retry.maxDelayMs, random: this.#options.random }));
      failedAttempts += 1;
    }
  }

  async #send(startOptions: SyncOptions | undefined, signal: AbortSignal): Promise<Response> {
    const { httpUrl, chatId } = this.#options;
    const headers = withBearer({ Accept: 'text/event-stream' }, await this.#options.token());
    if (startOptions !== undefined) {
      headers['Content-Type'] = 'application/json';
      return this.#options.fetch(`${httpUrl}/commands/sync`, { method: 'POST', headers, body: JSON.stringify({ chatId, options: startOptions }), signal });
    }
    const { lastSeq, epoch } = this.#options.position();
    if (lastSeq !== undefined && epoch !== undefined) headers['Last-Event-ID'] = formatEventId(epoch, lastSeq);
    return this.#options.fetch(`${httpUrl}/api/sync/${encodeURIComponent(String(chatId))}/events`, { headers, signal });
  }

  /** Reads events until the stream ends or is closed, kicking the watchdog at every chunk (keep-alive comments included); `progress` says whether an event came. */
  async #read(response: Response, kick: () => void, progress: { readAnEvent: boolean }): Promise<void> {
    if (!response.body) return;
    await readSseEvents(response.body, {
      onEvent: ({ type, data, id }) => {
        if (this.#closed) return;
        const event = toSyncEvent({ event: type, data, id });
        if (!event) return;
        progress.readAnEvent = true;
        this.#options.onEvent(event);
      },
      onBytes: kick,
    });
  }

  #sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleepTimer = this.#options.clock.setTimeout(() => {
        this.#sleepTimer = undefined;
        resolve();
      }, delayMs);
    });
  }

  #fail(error: WSRequestError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.onFailure(error);
  }
}

function toSyncEvent(message: EventSourceMessage): SseSyncEvent | undefined {
  const type = message.event === undefined ? undefined : TYPE_FOR_SSE_EVENT[message.event];
  if (type === undefined) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(message.data);
  } catch {
    return undefined;
  }
  const id = parseEventId(message.id);
  return { type, payload, seq: id?.seq, epoch: id?.epoch };
}

/** A non-2xx answer as a typed error; 4xx (other than 408 and 429) will not get better by retrying. */
async function refusalOf(response: Response, starting: boolean): Promise<WSRequestError> {
  let code: string = response.status === 503 ? 'DRAINING' : 'INTERNAL';
  let detail = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') detail = `${detail}: ${body.error.message}`;
  } catch {
    // Not a JSON error body: the status says enough.
  }
  const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
  return new WSRequestError(code, `the legacy SSE endpoint refused the ${starting ? 'sync start' : 'event stream'} (${detail})`, { retryable, requestType: starting ? 'sync:start' : 'sync:events' });
}
