/**
 * The contract every sync status store passes (memory, file, Redis): what the sync service relies
 * on to answer `sync:status`, resume orphaned runs and take runs over.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncStatusReply } from '../../../../reference/protocol/index.js';
import type { StatusStore } from '../../../../reference/server/status-store.js';

export function record(chatId: string | number, syncStatus: SyncStatusReply['syncStatus'], processed = 0): SyncStatusReply {
  return { chatId, syncStatus, syncProgress: processed, processed, total: 100, runId: syncStatus === 'idle' ? null : `r-${chatId}`, updatedAt: 1_700_000_000_000 + processed };
}

export function statusStoreContract(name: string, create: () => Promise<StatusStore>): void {
  describe(`status store contract: ${name}`, () => {
    const stores: StatusStore[] = [];
    const store = async (): Promise<StatusStore> => {
      const made = await create();
      stores.push(made);
      return made;
    };
    afterEach(async () => {
      for (const each of stores.splice(0)) await each.close();
    });

    it('answers undefined for a chat never synced, and the last record written for one that was', async () => {
      const s = await store();
      expect(await s.get(7)).toBeUndefined();
      await s.set(record(7, 'running', 10));
      await s.set(record(7, 'running', 20));
      expect(await s.get(7)).toEqual(record(7, 'running', 20));
    });

    it('takes 42 and "42" for the same chat', async () => {
      const s = await store();
      await s.set(record(42, 'running', 30));
      expect(await s.get('42')).toMatchObject({ processed: 30 });
      await s.set(record('42', 'completed', 100));
      expect((await s.list()).filter((each) => String(each.chatId) === '42')).toHaveLength(1);
    });

    it('lists every record, and the running ones (orphan scans) without the ended ones', async () => {
      const s = await store();
      await s.set(record('a', 'running', 10));
      await s.set(record('b', 'completed', 100));
      await s.set(record('c', 'running', 50));
      await s.set(record('c', 'failed', 50));
      expect((await s.list()).map((each) => String(each.chatId)).sort()).toEqual(['a', 'b', 'c']);
      const running = s.listRunning ? await s.listRunning() : (await s.list()).filter((each) => each.syncStatus === 'running');
      expect(running.map((each) => String(each.chatId))).toEqual(['a']);
    });
  });
}
