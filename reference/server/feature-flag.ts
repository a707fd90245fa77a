/**
 * The `USE_NEW_WS_SYNC` flag, live: set by `setFlag`, `POST /admin/flag`, or an env file the server
 * follows, so a rollback needs no redeploy. `/api/config`, `/health` and the metric read it at once.
 */
import { watch, promises as fs, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { envTextValue } from '../../lib/env-text.js';
import { messageOf } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

/** Where a flag change came from, for the log (`cluster`: another instance, through the shared engine). */
export type FlagSource = 'api' | 'admin' | 'file' | 'cluster';

export class FeatureFlag {
  private current: boolean;
  private readonly listeners = new Set<(value: boolean, source: FlagSource) => void>();

  constructor(
    readonly name: string,
    value: boolean,
    private readonly logger: Logger,
  ) {
    this.current = value;
  }

  get value(): boolean {
    return this.current;
  }

  /** Sets the flag; logs and returns true when that changed it. */
  set(value: boolean, source: FlagSource): boolean {
    if (value === this.current) return false;
    this.current = value;
    this.logger.info({ flag: this.name, value, source, transport: value ? 'ws' : 'sse' }, `feature flag ${this.name} changed to ${value}`);
    for (const listener of this.listeners) listener(value, source);
    return true;
  }

  /** Calls `listener` after every change. */
  onChange(listener: (value: boolean, source: FlagSource) => void): void {
    this.listeners.add(listener);
  }
}

/**
 * The flag's value in an env file, read as dotenv reads it (lib/env-text.ts, the migration's reader
 * too): `true` exactly as the seed's `process.env.USE_NEW_WS_SYNC === 'true'`, `false` for any other
 * value, `undefined` when the file does not set it.
 */
export function flagValueInEnvFile(text: string, name: string): boolean | undefined {
  const value = envTextValue(text, name);
  return value === undefined ? undefined : value === 'true';
}

/** Something that can be stopped. */
export interface Closable {
  close(): void;
}

/**
 * Follows an env file: applies the flag's value whenever the file's content changes. Watches the
 * file's folder (editors and atomic renames replace the file, which a watch on the file would lose)
 * and also polls, since file-system events are not delivered everywhere (network mounts, containers).
 * Resolves after the first read, so the file's value is in force before the server listens.
 */
export async function followFlagFile(file: string, flag: FeatureFlag, pollIntervalMs: number, logger: Logger): Promise<Closable> {
  const absolute = path.resolve(file);
  const base = path.basename(absolute);
  let lastText: string | undefined;
  let missingLogged = false;
  let reading: Promise<void> | undefined;
  let again = false;
  let closed = false;

  const readOnce = async (): Promise<void> => {
    let text: string;
    try {
      text = await fs.readFile(absolute, 'utf8');
    } catch (error) {
      if (!missingLogged) logger.warn({ file: absolute, err: messageOf(error) }, 'cannot read the flag file; keeping the current flag value');
      missingLogged = true;
      lastText = undefined;
      return;
    }
    missingLogged = false;
    if (closed || text === lastText) return;
    lastText = text;
    const value = flagValueInEnvFile(text, flag.name);
    if (value === undefined) logger.warn({ file: absolute, flag: flag.name }, 'the flag file does not set the flag; keeping the current value');
    else flag.set(value, 'file');
  };

  const check = (): Promise<void> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      do {
        again = false;
        await readOnce();
      } while (again && !closed);
    })().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  await check();
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path.dirname(absolute), { persistent: false }, (_event, name) => {
      if (name === null || name === base) void check();
    });
    watcher.on('error', (error) => logger.warn({ file: absolute, err: messageOf(error) }, 'watching the flag file failed; polling only'));
  } catch (error) {
    logger.warn({ file: absolute, err: messageOf(error) }, 'cannot watch the flag file folder; polling only');
  }
  const poll = setInterval(() => void check(), pollIntervalMs);
  poll.unref();
  logger.info({ file: absolute, flag: flag.name, value: flag.value }, 'following the flag file');
  return {
    close: () => {
      closed = true;
      clearInterval(poll);
      watcher?.close();
    },
  };
}
