/**
 * Start a chat's sync and wait for its end: the promise form of `startSync` + `track`, for scripts,
 * tests and the `wsmig client … sync` command.
 */
import { type ChatId, type SyncCompleteEvent, type SyncOptions, type SyncProgressEvent, type SyncStartReply } from '../protocol/index.js';
import { systemClock, type Clock } from './clock.js';
import { WSRequestError } from './request-error.js';
import type { SyncManager } from './sync-manager.js';

/** Options of {@link syncUntilDone}. */
export interface SyncUntilDoneOptions {
  /** The seed's `SyncOptions` sent with `sync:start`. */
  sync?: SyncOptions;
  /** Give up waiting after this long, in ms (the sync itself goes on). Default: wait as long as it takes. */
  timeoutMs?: number;
  onStarted?(reply: SyncStartReply): void;
  onProgress?(event: SyncProgressEvent): void;
  clock?: Clock;
}

/**
 * Starts `chatId`'s sync and resolves with its `complete` event. Rejects with a
 * {@link WSRequestError}: the sync's own error (its server code, e.g. `INTERNAL` or `CANCELLED`),
 * the start's failure, or `TIMEOUT` after `timeoutMs`. `onStarted` runs before any `onProgress`
 * (over SSE the start is known only from the first event, so earlier events wait for it).
 */
export function syncUntilDone(manager: SyncManager, chatId: ChatId, options: SyncUntilDoneOptions = {}): Promise<SyncCompleteEvent> {
  const clock = options.clock ?? systemClock;
  return new Promise<SyncCompleteEvent>((resolve, reject) => {
    let settled = false;
    let started = false;
    const early: SyncProgressEvent[] = [];
    let earlyOutcome: (() => void) | undefined;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      stopTracking();
      if (timer !== undefined) clock.clearTimeout(timer);
      outcome();
    };
    const settleAfterStart = (outcome: () => void): void => {
      if (started) settle(outcome);
      else earlyOutcome ??= outcome;
    };
    // Tracking starts before the start request, so no event of this run can slip past.
    const stopTracking = manager.track(chatId, {
      onProgress: (event) => {
        if (settled) return;
        if (started) options.onProgress?.(event);
        else early.push(event);
      },
      onComplete: (event) => settleAfterStart(() => resolve(event)),
      onError: (event) =>
        settleAfterStart(() => reject(new WSRequestError(event.error.code, `the sync of chat ${chatId} failed: ${event.error.message}`, { retryable: event.error.retryable, requestType: 'sync:start' }))),
    });
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : clock.setTimeout(() => settle(() => reject(new WSRequestError('TIMEOUT', `the sync of chat ${chatId} did not finish within ${options.timeoutMs} ms`, { retryable: true, requestType: 'sync:start' }))), options.timeoutMs);
    manager.startSync(chatId, options.sync).then(
      (reply) => {
        if (settled) return;
        started = true;
        options.onStarted?.(reply);
        for (const event of early.splice(0)) options.onProgress?.(event);
        if (earlyOutcome) settle(earlyOutcome);
      },
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
