/**
 * The `USE_NEW_WS_SYNC` flag, live: a rollout percentage (0: legacy SSE for everyone, 100: WebSocket
 * for everyone; booleans are 0 and 100), set by `setFlag`/`setFlagPercentage`, `POST /admin/flag`,
 * or an env file the server follows, so a rollback needs no redeploy. `/api/config`, `/health` and
 * the metrics read it at once; who is in at a percentage is lib/flag-rollout.ts's sticky bucket.
 */
import { watch, promises as fs, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { envTextValue } from '../../lib/env-text.js';
import { messageOf } from '../../lib/errors.js';
import { FLAG_VALUE_FORMS, evaluateRollout, formatFlagValue, parseFlagValue, type RolloutAnswer } from '../../lib/flag-rollout.js';
import type { Logger } from '../../lib/logger.js';

/** Where a flag change came from, for the log (`cluster`: another instance, through the shared engine). */
export type FlagSource = 'api' | 'admin' | 'file' | 'cluster';

export class FeatureFlag {
  private current: number;
  private readonly listeners = new Set<(percentage: number, source: FlagSource) => void>();

  /** `percentage`: the start value, 0 to 100; `groupId`: the bucketing group (Unleash's `groupId`). */
  constructor(
    readonly name: string,
    percentage: number,
    readonly groupId: string,
    private readonly logger: Logger,
  ) {
    this.current = percentage;
  }

  /** The rollout percentage, 0 to 100. */
  get percentage(): number {
    return this.current;
  }

  /** True only when every identity gets WebSocket (100 %). */
  get value(): boolean {
    return this.current === 100;
  }

  /** The answer for the caller with stickiness id `id` (none: the answer for anyone), see {@link evaluateRollout}. */
  evaluate(id: string | undefined): RolloutAnswer {
    return evaluateRollout(this.current, this.groupId, id);
  }

  /** Sets the percentage (0 to 100, checked by the caller); logs and returns true when that changed it. */
  set(percentage: number, source: FlagSource): boolean {
    if (percentage === this.current) return false;
    this.current = percentage;
    const written = formatFlagValue(percentage);
    this.logger.info({ flag: this.name, value: written, percentage, source, transport: percentage === 100 ? 'ws' : percentage === 0 ? 'sse' : 'split' }, `feature flag ${this.name} changed to ${written}`);
    for (const listener of this.listeners) listener(percentage, source);
    return true;
  }

  /** Calls `listener` after every change. */
  onChange(listener: (percentage: number, source: FlagSource) => void): void {
    this.listeners.add(listener);
  }
}

/** What an env file says of the flag: a percentage, a value the server does not accept, or nothing. */
export type FlagFileValue = { percentage: number } | { invalid: string } | undefined;

/**
 * The flag's value in an env file, read as dotenv reads it (lib/env-text.ts, the migration's reader
 * too): `true` (100), `false` (0) or `NN%`; `{ invalid }` for any other value (`TRUE`, `yes`, `25`),
 * `undefined` when the file does not set it.
 */
export function flagValueInEnvFile(text: string, name: string): FlagFileValue {
  const value = envTextValue(text, name);
  if (value === undefined) return undefined;
  const percentage = parseFlagValue(value);
  return percentage === undefined ? { invalid: value } : { percentage };
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
    else if ('invalid' in value) logger.warn({ file: absolute, flag: flag.name, value: value.invalid }, `the flag file sets ${flag.name}=${value.invalid}, which is not ${FLAG_VALUE_FORMS}; keeping the current value (${formatFlagValue(flag.percentage)})`);
    else flag.set(value.percentage, 'file');
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
  logger.info({ file: absolute, flag: flag.name, value: formatFlagValue(flag.percentage) }, 'following the flag file');
  return {
    close: () => {
      closed = true;
      clearInterval(poll);
      watcher?.close();
    },
  };
}
