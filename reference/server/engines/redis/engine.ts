/**
 * The whole Redis engine of an instance: the channel hub, the sync status store, the job leases
 * and the shared `USE_NEW_WS_SYNC` flag, on one pair of connections (commands, subscriber).
 *
 * Keys besides the channels' (under the prefix `p`; the `{jobs}` hash tag keeps the scripts' keys
 * in one Redis Cluster slot):
 * - `p{jobs}:status`, a hash: chat key → the status record's JSON (`sync:status`'s reply);
 * - `p{jobs}:running`, a set: the chat keys whose record says `running` (orphan scans read it);
 * - `p{jobs}:lease:<chat key>`, a string with a TTL: `<holder token>|<runId>`, the run's owner;
 * - `p{jobs}:cancel`, a pub/sub topic: chat keys whose run an instance asked to cancel;
 * - `p{flag}:<name>`, the flag's rollout (`true`, `false` or `25%`), and the topic `p{flag}:changes` (flag.ts).
 */
import { WsmigError } from '../../../../lib/errors.js';
import { silentLogger, type Logger } from '../../../../lib/logger.js';
import type { SyncStatusReply } from '../../../protocol/index.js';
import { LEASE_LOST, type JobLeases, type LeaseClaim, type StatusFence } from '../../job-leases.js';
import { chatKey, type StatusStore } from '../../status-store.js';
import { connectAtStart, type RedisConnections } from './connection.js';
import { callRedis, replyText } from './errors.js';
import { RedisFlag, type SharedFlag } from './flag.js';
import { redisHubOn, type RedisHub } from './hub.js';
import { LuaScript } from './scripts.js';

export interface RedisEngineOptions {
  /** `redis://[[user]:password@]host[:port][/db]` (or `rediss://`). */
  url: string;
  /** Prepended to every key and topic. Default `wsmig:`. */
  prefix?: string;
  replayBufferSize: number;
  channelTtlMs: number;
  /** How long a sync run's lease lives without renewal, in ms: how soon another instance takes over the run of a dead one. Default 5,000. */
  jobLeaseMs?: number;
  /** This instance's label (the hub's `epoch`, and the prefix of its lease tokens). */
  instance: string;
  logger?: Logger;
  clock?: () => number;
  /** How long to wait for the first connection, in ms. Default 10,000. */
  connectTimeoutMs?: number;
}

export interface RedisEngine {
  readonly hub: RedisHub;
  readonly store: StatusStore;
  readonly leases: JobLeases;
  readonly flag: SharedFlag;
  /** Closes the hub, stops following the flag, and closes the connections. */
  close(): Promise<void>;
}

export const DEFAULT_JOB_LEASE_MS = 5_000;

const FENCED_SET = new LuaScript(`
if ARGV[4] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == '1' then redis.call('SADD', KEYS[2], ARGV[1]) else redis.call('SREM', KEYS[2], ARGV[1]) end
return 1
`);
const LEASE_RENEW = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);
const LEASE_UPDATE = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`);
const LEASE_RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`);

/** Connects (an unreachable Redis is `ENGINE_UNAVAILABLE`) and returns the engine. */
export async function openRedisEngine(options: RedisEngineOptions): Promise<RedisEngine> {
  const logger = options.logger ?? silentLogger();
  const redis = await connectAtStart(options.url, logger, options.connectTimeoutMs);
  const prefix = options.prefix ?? 'wsmig:';
  const hub = redisHubOn(redis, { prefix, replayBufferSize: options.replayBufferSize, channelTtlMs: options.channelTtlMs, logger, epoch: options.instance, ...(options.clock ? { clock: options.clock } : {}) });
  const jobs = `${prefix}{jobs}`;
  const flags = new RedisFlag(redis, `${prefix}{flag}`, logger);
  return {
    hub,
    store: redisStatusStore(redis, jobs),
    leases: new RedisLeases(redis, jobs, options.jobLeaseMs ?? DEFAULT_JOB_LEASE_MS),
    flag: flags,
    close: async () => {
      flags.stop();
      await hub.close();
      await redis.close();
    },
  };
}

function redisStatusStore(redis: RedisConnections, jobs: string): StatusStore {
  const statusKey = `${jobs}:status`;
  const runningKey = `${jobs}:running`;
  const parse = (json: unknown): SyncStatusReply | undefined => (typeof json === 'string' ? (JSON.parse(json) as SyncStatusReply) : undefined);
  const records = (replies: unknown): SyncStatusReply[] => (Array.isArray(replies) ? replies.map(parse).filter((record): record is SyncStatusReply => record !== undefined) : []);
  return {
    get: (chatId) => callRedis(`read the sync status of chat ${chatId}`, async () => parse(await redis.commands.sendCommand(['HGET', statusKey, chatKey(chatId)]))),
    set: async (record: SyncStatusReply, fence?: StatusFence) => {
      const key = chatKey(record.chatId);
      const leaseKey = `${jobs}:lease:${fence?.job ?? key}`;
      const written = await callRedis(`record the sync status of chat ${record.chatId}`, () =>
        FENCED_SET.run(redis.commands, [statusKey, runningKey, leaseKey], [key, JSON.stringify(record), record.syncStatus === 'running' ? '1' : '0', fence?.holder ?? '']),
      );
      if (Number(written) !== 1) throw new WsmigError(LEASE_LOST, `the sync of chat ${record.chatId} is run by another instance now: this instance's write was refused`);
    },
    list: () => callRedis('list the sync statuses', async () => records(await redis.commands.sendCommand(['HVALS', statusKey]))),
    listRunning: () =>
      callRedis('list the running syncs', async () => {
        const keys = await redis.commands.sendCommand(['SMEMBERS', runningKey]);
        if (!Array.isArray(keys) || keys.length === 0) return [];
        return records(await redis.commands.sendCommand(['HMGET', statusKey, ...keys.map(String)])).filter((record) => record.syncStatus === 'running');
      }),
    // The connections are the engine's to close.
    close: async () => undefined,
  };
}

class RedisLeases implements JobLeases {
  private readonly cancelListeners = new Set<(job: string) => void>();
  private listening: Promise<void> | undefined;

  constructor(
    private readonly redis: RedisConnections,
    private readonly jobs: string,
    readonly ttlMs: number,
  ) {}

  private key(job: string): string {
    return `${this.jobs}:lease:${job}`;
  }

  async acquire(job: string, value: string): Promise<LeaseClaim> {
    return callRedis(`claim the sync of chat ${job}`, async () => {
      const set = await this.redis.commands.sendCommand(['SET', this.key(job), value, 'NX', 'PX', String(this.ttlMs)]);
      if (replyText(set) === 'OK') return { acquired: true, value };
      return { acquired: false, value: replyText(await this.redis.commands.sendCommand(['GET', this.key(job)])) };
    });
  }

  async update(job: string, from: string, to: string): Promise<boolean> {
    return callRedis(`update the lease of chat ${job}`, async () => Number(await LEASE_UPDATE.run(this.redis.commands, [this.key(job)], [from, to, String(this.ttlMs)])) === 1);
  }

  async renew(job: string, value: string): Promise<boolean> {
    return callRedis(`renew the lease of chat ${job}`, async () => Number(await LEASE_RENEW.run(this.redis.commands, [this.key(job)], [value, String(this.ttlMs)])) === 1);
  }

  async release(job: string, value: string): Promise<void> {
    await callRedis(`release the lease of chat ${job}`, () => LEASE_RELEASE.run(this.redis.commands, [this.key(job)], [value]));
  }

  async holder(job: string): Promise<string | undefined> {
    return callRedis(`read the lease of chat ${job}`, async () => replyText(await this.redis.commands.sendCommand(['GET', this.key(job)])));
  }

  async requestCancel(job: string): Promise<void> {
    await callRedis(`ask for the cancel of chat ${job}`, () => this.redis.commands.sendCommand(['PUBLISH', `${this.jobs}:cancel`, job]));
  }

  onCancelRequest(listener: (job: string) => void): void {
    this.cancelListeners.add(listener);
    this.listening ??= this.redis.subscriber.subscribe(`${this.jobs}:cancel`, (job: string) => {
      for (const each of this.cancelListeners) each(job);
    });
    this.listening.catch(() => undefined);
  }
}
