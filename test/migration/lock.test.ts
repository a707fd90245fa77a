import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { acquireLock } from '../../migration/lock.js';
import { tempDirPerTest } from '../helpers/temp-dir.js';

function capturingLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

describe('the lock', () => {
  const dir = tempDirPerTest('wsmig-lock-');
  let file: string;
  beforeEach(() => {
    file = path.join(dir(), '.wsmig', 'lock');
  });

  it('records who holds it and is released', async () => {
    const { logger } = capturingLogger();
    const lock = await acquireLock(file, { command: 'migrate phase prepare', logger });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname(), command: 'migrate phase prepare' });
    await lock.release();
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a second run while a live process holds it, naming the pid', async () => {
    const { logger } = capturingLogger();
    const first = await acquireLock(file, { command: 'migrate phase migrate', logger });
    await expect(acquireLock(file, { command: 'rollback', logger })).rejects.toMatchObject({ code: 'LOCKED', exitCode: 1, message: expect.stringContaining(`another wsmig run (pid ${process.pid}) holds the lock`) });
    await first.release();
  });

  it('takes over a stale lock left by a dead process, with a warning', async () => {
    const dead = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), command: 'migrate phase stabilize', startedAt: '2020-01-01T00:00:00.000Z' }));
    const { logger, lines } = capturingLogger();
    const lock = await acquireLock(file, { command: 'rollback', logger });
    expect(lock.owner.pid).toBe(process.pid);
    expect(lines.join('')).toContain(`stale lock left by wsmig migrate phase stabilize (pid ${dead.stdout}`);
    await lock.release();
  });

  it('waits for a holder to finish when asked to', async () => {
    const { logger } = capturingLogger();
    const first = await acquireLock(file, { command: 'migrate phase migrate', logger });
    setTimeout(() => void first.release(), 300);
    const second = await acquireLock(file, { command: 'rollback', logger, waitMs: 10_000 });
    expect(second.owner.command).toBe('rollback');
    await second.release();
  });
});
