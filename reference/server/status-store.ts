/**
 * Where each chat's sync status lives: the seed's `db.chats.update({ syncStatus, syncProgress })`.
 * The sync service writes a record on every change; `sync:status`, resync snapshots and a
 * restarted server read it back.
 */
import type { ChatId, SyncStatusReply } from '../protocol/index.js';
import type { StatusFence } from './job-leases.js';

/**
 * A chat's sync status record, exactly the `sync:status` reply.
 * Implementations may keep it anywhere (memory, a file, Redis, a database).
 */
export interface StatusStore {
  /** The last record written for the chat, or `undefined` when the chat was never synced. */
  get(chatId: ChatId): Promise<SyncStatusReply | undefined>;
  /**
   * Records a chat's status (replacing the previous record). Resolves once it is durable. A store
   * shared by instances checks `fence` (rejecting with `LEASE_LOST` when the lease is not held so);
   * a store of one process may ignore it.
   */
  set(record: SyncStatusReply, fence?: StatusFence): Promise<void>;
  /** Every record, e.g. to resume runs orphaned by a crash. */
  list(): Promise<SyncStatusReply[]>;
  /** The records whose status is `running` (a store that can find them without reading every record). Default: `list()` filtered. */
  listRunning?(): Promise<SyncStatusReply[]>;
  /** Makes every write durable and releases resources. The store is not used afterwards. */
  close(): Promise<void>;
}

/** The key of a chat in a store: `42` and `"42"` are the same chat (and the same `sync:42` channel). */
export function chatKey(chatId: ChatId): string {
  return String(chatId);
}

/** A status store in memory: the default. Lost when the process ends. */
export function createMemoryStatusStore(): StatusStore {
  const records = new Map<string, SyncStatusReply>();
  return {
    get: async (chatId) => records.get(chatKey(chatId)),
    set: async (record) => {
      records.set(chatKey(record.chatId), record);
    },
    list: async () => [...records.values()],
    close: async () => undefined,
  };
}
