/**
 * The demo sync service served through a gateway: `sync:start`, `sync:cancel` and `sync:status`
 * registered with `handle`, and the chat's `sync:status` as the resync snapshot of `sync:<chatId>`
 * channels. One application of the gateway, as an app would write its own.
 *
 * With identities (`wsmig server --identities`), it ships an authorization rule: a connection's
 * identity may subscribe to `sync:<chatId>`, and send `sync:start` / `sync:cancel` / `sync:status`,
 * for its own chats only; anything else is refused with `FORBIDDEN`.
 */
import { ErrorCode, MessageType, chatIdFromText, chatIdOfChannel, chatIdProblem, syncStartProblem, type ChatId, type SyncStartPayload } from '../protocol/index.js';
import { WsmigError } from '../../lib/errors.js';
import type { AuthorizeRequest } from './gateway-options.js';
import { identityName, mayTouchChat } from './identities.js';
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

/** How the demo decides who may touch a chat. */
export interface DemoSyncAccess {
  /** True when identities are configured: each identity touches its own chats only. */
  ownChatsOnly: boolean;
}

/** @throws WsmigError `FORBIDDEN` when only own chats may be touched and `chatId` is not one of `identity`'s. */
function checkOwner(access: DemoSyncAccess, identity: unknown, chatId: ChatId, action: string): void {
  if (!access.ownChatsOnly || mayTouchChat(identity, chatId)) return;
  throw new WsmigError(ErrorCode.forbidden, `not allowed to ${action} chat ${chatId}: it is not one of ${identityName(identity)}'s chats`);
}

/**
 * The demo's `authorize` rule with identities: a `sync:<chatId>` channel only for the identity
 * owning the chat; any other channel as `otherChannel` says (the server's opened patterns and bridged
 * channels); requests pass to their handlers, which check the chat in the payload.
 */
export function ownChatsRule(otherChannel: (channel: string) => boolean): (request: AuthorizeRequest<unknown>) => boolean {
  return ({ identity, action, channel }) => {
    if (action === 'request') return true;
    const chatId = chatIdOfChannel(channel);
    if (chatId === undefined) return otherChannel(channel);
    return chatIdProblem(chatIdFromText(chatId)) === undefined && mayTouchChat(identity, chatIdFromText(chatId));
  };
}

/** Registers the sync requests and the `sync:` resync snapshot on `gateway`. */
export function serveDemoSync(gateway: GatewayRegistrar, sync: SyncService, access: DemoSyncAccess = { ownChatsOnly: false }): void {
  gateway.handle(MessageType.syncStart, (payload, { identity }) => {
    const problem = syncStartProblem(payload);
    if (problem !== undefined) throw new WsmigError(ErrorCode.invalidPayload, problem);
    const { chatId, options } = payload as SyncStartPayload;
    checkOwner(access, identity, chatId, 'start the sync of');
    return sync.start(chatId, options ?? {});
  });
  gateway.handle(MessageType.syncCancel, (payload, { identity }) => {
    const chatId = chatIdOf(payload);
    checkOwner(access, identity, chatId, 'cancel the sync of');
    return sync.cancel(chatId);
  });
  gateway.handle(MessageType.syncStatus, (payload, { identity }) => {
    const chatId = chatIdOf(payload);
    checkOwner(access, identity, chatId, 'read the sync status of');
    return sync.status(chatId);
  });
  gateway.resyncSnapshot('sync:', (channel) => {
    const chatId = chatIdOfChannel(channel);
    return chatId === undefined || chatIdProblem(chatId) !== undefined ? null : sync.status(chatIdFromText(chatId));
  });
}
