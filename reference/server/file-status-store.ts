/**
 * A status store kept in one JSON file, so a restarted server knows each chat's last status and can
 * resume runs a crash left `running`. Writes are atomic (temporary file, fsync, rename) and coalesced:
 * many changes within `flushDelayMs` become one write.
 */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../../lib/atomic-write.js';
import { WsmigError, messageOf } from '../../lib/errors.js';
import type { SyncStatusReply } from '../protocol/index.js';
import { chatKey, type StatusStore } from './status-store.js';

export interface FileStatusStoreOptions {
  /** How long changes are gathered before one write, in ms (at most this much progress is redone after a crash). Default 100. */
  flushDelayMs?: number;
}

interface StateFile {
  version: 1;
  chats: Record<string, SyncStatusReply>;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A failed write is reported to whoever awaits it; nobody awaiting must not crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function isRecord(value: unknown): value is SyncStatusReply {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  return (typeof record['chatId'] === 'number' || typeof record['chatId'] === 'string') && typeof record['syncStatus'] === 'string' && typeof record['processed'] === 'number';
}

async function readStateFile(file: string): Promise<Map<string, SyncStatusReply>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new WsmigError('STATE_FILE_UNREADABLE', `Cannot read the state file ${file}: ${messageOf(error)}. Check its permissions or choose another --state-file.`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new WsmigError('STATE_FILE_INVALID', `The state file ${file} is not JSON. Move it away (wsmig writes it atomically, so it was not written by wsmig) or choose another --state-file.`, { cause: error });
  }
  const state = parsed as Partial<StateFile>;
  if (state === null || typeof state !== 'object' || state.version !== 1 || state.chats === null || typeof state.chats !== 'object') {
    throw new WsmigError('STATE_FILE_INVALID', `The state file ${file} is not a wsmig state file (expected {"version":1,"chats":{…}}). Move it away or choose another --state-file.`);
  }
  const records = new Map<string, SyncStatusReply>();
  for (const [key, record] of Object.entries(state.chats)) {
    if (!isRecord(record)) throw new WsmigError('STATE_FILE_INVALID', `The state file ${file} has an invalid record for chat "${key}". Move the file away or choose another --state-file.`);
    records.set(key, record);
  }
  return records;
}

/** The file of each store made by {@link createFileStatusStore}: the server keeps its replay history beside it. */
const storeFiles = new WeakMap<StatusStore, string>();

/** The file a status store keeps its records in, when {@link createFileStatusStore} made it. */
export function statusStoreFile(store: StatusStore): string | undefined {
  return storeFiles.get(store);
}

/**
 * A {@link StatusStore} persisted to `file` (created on the first write, with its folder).
 * A server given this store also keeps its replay history beside it (see `hubStateFile`).
 */
export function createFileStatusStore(file: string, options: FileStatusStoreOptions = {}): StatusStore {
  const flushDelayMs = options.flushDelayMs ?? 100;
  let loaded: Promise<Map<string, SyncStatusReply>> | undefined;
  let pending: Deferred | undefined;
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const load = (): Promise<Map<string, SyncStatusReply>> => (loaded ??= readStateFile(file));

  const write = async (batch: Deferred): Promise<void> => {
    const records = await load();
    const state: StateFile = { version: 1, chats: Object.fromEntries(records) };
    try {
      await writeFileAtomic(file, `${JSON.stringify(state)}\n`);
      batch.resolve();
    } catch (error) {
      batch.reject(new WsmigError('STATE_FILE_WRITE_FAILED', `Cannot write the state file ${file}: ${messageOf(error)}.`, { cause: error }));
    }
  };

  const flushNow = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = undefined;
    if (!batch) return writing;
    // Writes run one after another, each with everything recorded so far.
    writing = writing.then(() => write(batch));
    return batch.promise;
  };

  const store: StatusStore = {
    get: async (chatId) => (await load()).get(chatKey(chatId)),
    set: async (record) => {
      (await load()).set(chatKey(record.chatId), record);
      if (!pending) {
        pending = deferred();
        timer = setTimeout(flushNow, flushDelayMs);
      }
      return pending.promise;
    },
    list: async () => [...(await load()).values()],
    close: async () => {
      await flushNow();
      await writing;
    },
  };
  storeFiles.set(store, file);
  return store;
}
