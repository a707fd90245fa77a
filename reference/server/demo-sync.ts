/**
 * The demo sync service served through a gateway: `sync:start`, `sync:cancel` and `sync:status`
 * registered with `handle`, and the chat's `sync:status` as the resync snapshot of `sync:<chatId>`
 * channels. One application of the gateway, as an app would write its own.
 */
import { ErrorCode, MessageType, chatIdFromText, chatIdOfChannel, chatIdProblem, syncStartProblem, type ChatId, type SyncStartPayload } from '../protocol/index.js';
import { WsmigError } from '../../lib/errors.js';
import type { RequestHandler } from './request-handlers.js';
import type { ResyncSnapshotProvider } from './resync-snapshots.js';
import type { SyncService } from './sync-service.js';

/** Where the demo registers itself: a gateway. */
export interface GatewayRegistrar {
  handle(type: string, handler: RequestHandler): unknown;
  resyncSnapshot(prefix: string, provider: ResyncSnapshotProvider): unknown;
}

/** The channel pattern of the demo's events. */
export const SYNC_CHANNELS = 'sync:*';

function chatIdOf(payload: unknown): ChatId {
  const chatId = payload !== null && typeof payload === 'object' ? (payload as { chatId?: unknown }).chatId : undefined;
  const problem = chatIdProblem(chatId);
  if (problem !== undefined) throw new WsmigError(ErrorCode.invalidPayload, `payload must be { chatId }: ${problem}`);
  return chatId as ChatId;
}

/** Registers the sync requests and the `sync:` resync snapshot on `gateway`. */
export function serveDemoSync(gateway: GatewayRegistrar, sync: SyncService): void {
  gateway.handle(MessageType.syncStart, (payload) => {
    const problem = syncStartProblem(payload);
    if (problem !== undefined) throw new WsmigError(ErrorCode.invalidPayload, problem);
    const { chatId, options } = payload as SyncStartPayload;
    return sync.start(chatId, options ?? {});
  });
  gateway.handle(MessageType.syncCancel, (payload) => sync.cancel(chatIdOf(payload)));
  gateway.handle(MessageType.syncStatus, (payload) => sync.status(chatIdOf(payload)));
  gateway.resyncSnapshot('sync:', (channel) => {
    const chatId = chatIdOfChannel(channel);
    return chatId === undefined || chatIdProblem(chatId) !== undefined ? null : sync.status(chatIdFromText(chatId));
  });
}
