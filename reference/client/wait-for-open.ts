/**
 * Waiting for a client's connection, for callers that need one before going on (a CLI, a test,
 * a page that shows "connecting…"), with the reason when it cannot be had.
 */
import type { ErrorCode } from '../protocol/index.js';
import { systemClock, type Clock } from './clock.js';
import { WSRequestError } from './request-error.js';
import type { WSClient } from './ws-client.js';

/** Options of {@link waitForOpen}. */
export interface WaitForOpenOptions {
  /** Reject after this long, in ms. Default: wait as long as the client keeps trying. */
  timeoutMs?: number;
  /** Reject as soon as one attempt fails instead of waiting for the client's reconnects. Default false. */
  failFast?: boolean;
  clock?: Clock;
}

/**
 * Resolves when `client` is open. Rejects with a {@link WSRequestError}: `DISCONNECTED` with the
 * last error's message when the client gives up (or, with `failFast`, when an attempt fails),
 * `CLIENT_CLOSED` when it is closed, `TIMEOUT` after `timeoutMs`.
 */
export function waitForOpen(client: WSClient, options: WaitForOpenOptions = {}): Promise<void> {
  if (client.state === 'open') return Promise.resolve();
  const clock = options.clock ?? systemClock;
  return new Promise<void>((resolve, reject) => {
    let lastError = '';
    const removers: Array<() => void> = [];
    const timer = options.timeoutMs === undefined ? undefined : clock.setTimeout(() => fail('TIMEOUT', `no connection to ${client.url} within ${options.timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}`), options.timeoutMs);
    const finish = (): void => {
      for (const remove of removers) remove();
      if (timer !== undefined) clock.clearTimeout(timer);
    };
    const fail = (code: ErrorCode, message: string): void => {
      finish();
      reject(new WSRequestError(code, message, { retryable: code !== 'CLIENT_CLOSED', requestType: 'connect' }));
    };
    const failure = (code: number, reason: string): string =>
      `could not connect to ${client.url}: ${lastError || reason || 'the connection closed'} (close code ${code})`;
    removers.push(
      client.on('open', () => {
        finish();
        resolve();
      }),
      client.on('error', (error) => {
        lastError = error.message;
      }),
      client.on('close', (event) => {
        // Only close() is already in state `closed` when its `close` event fires.
        if (client.state === 'closed') {
          fail('CLIENT_CLOSED', 'the client was closed before it connected');
        } else if (options.failFast) {
          fail('DISCONNECTED', failure(event.code, event.reason));
        }
      }),
      client.on('give-up', (event) => fail('DISCONNECTED', `${failure(event.code, event.reason)}; gave up after ${event.attempts} reconnect attempts`)),
    );
    if (client.state === 'closed') fail('DISCONNECTED', `the client is closed; call connect() first`);
  });
}
