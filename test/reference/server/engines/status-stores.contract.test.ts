/** The memory and file status stores against the status store contract (the Redis one: redis-engine.test.ts). */
import path from 'node:path';
import { createFileStatusStore } from '../../../../reference/server/file-status-store.js';
import { createMemoryStatusStore } from '../../../../reference/server/status-store.js';
import { tempDirPerTest } from '../../../helpers/temp-dir.js';
import { statusStoreContract } from './status-store-contract.js';

statusStoreContract('memory', async () => createMemoryStatusStore());

const dir = tempDirPerTest('wsmig-status-store-');
statusStoreContract('file', async () => createFileStatusStore(path.join(dir(), `state-${Math.random().toString(36).slice(2)}.json`), { flushDelayMs: 0 }));
