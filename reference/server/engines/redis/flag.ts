/**
 * The `USE_NEW_WS_SYNC` rollout percentage shared by every instance on one Redis: the string
 * `p{flag}:<name>` holds it, and `p{flag}:changes` carries `<name>=<value>` to every instance (a poll
 * every second covers a message lost while Redis was away). The value is written as the env files
 * write it — `true` at 100, `false` at 0, `25%` in between — so an instance from before percentages
 * still reads `true` as on and anything else as off; a bare number (`25`) is read too.
 */
import type { Logger } from '../../../../lib/logger.js';
import { formatFlagValue, isFlagPercentage, parseFlagValue } from '../../../../lib/flag-rollout.js';
import type { RedisConnections } from './connection.js';
import { callRedis, replyText } from './errors.js';

/** The flag shared by every instance on one Redis. */
export interface SharedFlag {
  /**
   * Joins the flag: sets it to `initial` (a percentage) when no instance has yet, resolves with the
   * shared percentage, and from then on calls `onChange` whenever it changes.
   */
  follow(name: string, initial: number, onChange: (percentage: number) => void): Promise<number>;
  /** Sets the shared percentage; every instance following it hears of it. */
  set(name: string, percentage: number): Promise<void>;
}

const FLAG_POLL_MS = 1_000;

/** The percentage a stored value stands for, or `undefined` for none or one this version cannot read. */
function storedPercentage(stored: string | undefined): number | undefined {
  if (stored === undefined) return undefined;
  const bare = /^\d{1,3}$/.test(stored) ? Number(stored) : undefined;
  return isFlagPercentage(bare) ? bare : parseFlagValue(stored);
}

export class RedisFlag implements SharedFlag {
  private readonly polls = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly base: string,
    private readonly logger: Logger,
  ) {}

  private key(name: string): string {
    return `${this.base}:${name}`;
  }

  async follow(name: string, initial: number, onChange: (percentage: number) => void): Promise<number> {
    const key = this.key(name);
    let known: number | undefined;
    const apply = (percentage: number | undefined): void => {
      if (percentage === undefined || percentage === known || this.stopped) return;
      known = percentage;
      onChange(percentage);
    };
    const read = async (): Promise<number | undefined> => {
      const stored = replyText(await this.redis.commands.sendCommand(['GET', key]));
      const percentage = storedPercentage(stored);
      if (stored !== undefined && percentage === undefined) this.logger.warn({ flag: name, key, stored }, 'the shared flag holds a value this version cannot read; keeping the current one');
      return percentage;
    };
    await callRedis(`follow the flag ${name}`, async () => {
      await this.redis.subscriber.subscribe(`${this.base}:changes`, (message: string) => {
        const [changed, value] = message.split('=');
        if (changed === name) apply(storedPercentage(value));
      });
      await this.redis.commands.sendCommand(['SET', key, formatFlagValue(initial), 'NX']);
    });
    known = (await callRedis(`read the flag ${name}`, read)) ?? initial;
    this.redis.onSubscriberReconnected(() => void read().then(apply, () => undefined));
    const poll = setInterval(() => {
      if (!this.redis.commands.isReady) return;
      read().then(apply, (error: unknown) => this.logger.debug({ err: error, flag: name }, 'could not read the shared flag'));
    }, FLAG_POLL_MS);
    poll.unref();
    this.polls.add(poll);
    return known;
  }

  async set(name: string, percentage: number): Promise<void> {
    const value = formatFlagValue(percentage);
    await callRedis(`set the flag ${name}`, async () => {
      await this.redis.commands.sendCommand(['SET', this.key(name), value]);
      await this.redis.commands.sendCommand(['PUBLISH', `${this.base}:changes`, `${name}=${value}`]);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const poll of this.polls) clearInterval(poll);
    this.polls.clear();
  }
}
