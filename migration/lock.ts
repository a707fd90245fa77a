/**
 * `.wsmig/lock`: one wsmig run at a time per repository. The file holds who took it (pid, host,
 * command, time). A lock left by a process that no longer exists on this host is taken over with a
 * warning; a live one stops the run.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WsmigError, messageOf } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { isProcessAlive } from './process-liveness.js';

export interface LockOwner {
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

export interface HeldLock {
  readonly owner: LockOwner;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

export interface AcquireLockOptions {
  command: string;
  logger: Logger;
  /** Wait up to this long for a live holder to finish (a rollback waits for a running phase). */
  waitMs?: number;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

/** Takes the lock or throws `LOCKED` (exit 1) naming the holder. */
export async function acquireLock(file: string, options: AcquireLockOptions): Promise<HeldLock> {
  const clock = options.clock ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), command: options.command, startedAt: clock().toISOString() };
  const deadline = Date.now() + (options.waitMs ?? 0);
  await fs.mkdir(path.dirname(file), { recursive: true });
  for (;;) {
    if (await tryCreate(file, owner)) return heldLock(file, owner);
    const holder = await readOwner(file);
    if (holder === undefined) continue; // Released between our attempt and the read: try again.
    if (holder !== 'unreadable' && holder.host === owner.host && !isProcessAlive(holder.pid)) {
      options.logger.warn({ lock: file, stalePid: holder.pid, staleCommand: holder.command, since: holder.startedAt }, `taking over a stale lock left by wsmig ${holder.command} (pid ${holder.pid}, no longer running)`);
      await takeOver(file, holder);
      continue;
    }
    if (holder === 'unreadable') {
      // A holder that crashed between creating the file and writing it: stale once it is old enough.
      const stat = await fs.stat(file).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > 5_000) {
        options.logger.warn({ lock: file }, 'taking over an empty or unreadable lock file');
        await fs.rm(file, { force: true });
        continue;
      }
    }
    if (Date.now() < deadline) {
      await sleep(200);
      continue;
    }
    const who = holder === 'unreadable' ? 'an unknown process' : `pid ${holder.pid}`;
    const detail = holder === 'unreadable' ? '' : ` on ${holder.host}, running \`wsmig ${holder.command}\` since ${holder.startedAt}`;
    throw new WsmigError('LOCKED', `another wsmig run (${who}) holds the lock ${file}${detail}. Wait for it to finish; if no wsmig is running, delete the lock file and try again.`, {
      details: holder === 'unreadable' ? { lock: file } : { lock: file, ...holder },
    });
  }
}

async function tryCreate(file: string, owner: LockOwner): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new WsmigError('LOCK_FAILED', `Cannot create the lock file ${file}: ${messageOf(error)}.`, { cause: error });
  }
  try {
    await handle.writeFile(`${JSON.stringify(owner)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return true;
}

async function readOwner(file: string): Promise<LockOwner | 'unreadable' | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return 'unreadable';
  }
  try {
    const json = JSON.parse(text) as Partial<LockOwner>;
    if (typeof json.pid === 'number' && typeof json.host === 'string') {
      return { pid: json.pid, host: json.host, command: String(json.command ?? '?'), startedAt: String(json.startedAt ?? '?') };
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** Removes a stale lock only if it still names the stale holder (another run may have taken it over already). */
async function takeOver(file: string, stale: LockOwner): Promise<void> {
  const now = await readOwner(file);
  if (now !== undefined && now !== 'unreadable' && now.pid === stale.pid && now.startedAt === stale.startedAt) {
    await fs.rm(file, { force: true });
  }
}

function heldLock(file: string, owner: LockOwner): HeldLock {
  return {
    owner,
    async release() {
      const now = await readOwner(file);
      if (now !== undefined && now !== 'unreadable' && now.pid === owner.pid && now.startedAt === owner.startedAt) {
        await fs.rm(file, { force: true });
      }
    },
  };
}
