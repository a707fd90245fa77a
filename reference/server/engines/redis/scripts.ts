/**
 * The Redis side of the engine: key names and the Lua scripts that read and write a channel.
 *
 * Per channel `c` (under the prefix `p`):
 * - `p{c}:meta`, a hash: `epoch` (the channel's replay epoch) and `seq` (its newest seq);
 * - `p{c}:stream`, a stream: its kept events, entry id `<seq>-0`, fields `type`, `ts`, `payload`
 *   (JSON) and `eventId` when the event has one;
 * - `p{c}:events`, a pub/sub topic: every event's JSON, published by the same script that numbers it.
 * The `{c}` hash tag keeps both keys of a channel in one Redis Cluster slot, as a script needs.
 *
 * A channel's epoch is made the first time a script touches it with no hash (first publish or
 * first subscribe, or after its keys expired or were lost): the caller offers a random candidate
 * and the script keeps the existing one if there is one, so every instance agrees on it.
 */
import { ErrorReply } from '@redis/client';
import { createHash, randomBytes } from 'node:crypto';
import type { RedisConnection } from './connection.js';

export interface ChannelKeys {
  meta: string;
  stream: string;
  topic: string;
}

export function channelKeys(prefix: string, channel: string): ChannelKeys {
  const tag = `${prefix}{${channel}}`;
  return { meta: `${tag}:meta`, stream: `${tag}:stream`, topic: `${tag}:events` };
}

/** A random epoch (letters, digits, `_`: no `-`, which separates SSE event ids). */
export function candidateEpoch(): string {
  return randomBytes(6).toString('base64url').replace(/-/g, '_');
}

/**
 * Candidate epochs, one per script run, never the same twice: a random prefix drawn once and a
 * counter (every publish offers one, and drawing random bytes each time cost a seventh of a publish).
 */
export class EpochCandidates {
  private readonly prefix = candidateEpoch();
  private count = 0;

  next(): string {
    this.count += 1;
    return `${this.prefix}${this.count.toString(36)}`;
  }
}

/** Makes the channel's epoch when its hash is missing (then the old stream, if any, goes: its ids would clash). Leaves `epoch` in a local. */
const ENSURE_EPOCH = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
end
`;

/**
 * Publishes one event. KEYS: meta, stream. ARGV: candidate epoch, ttl ms, max stream length (0:
 * keep none), type, ts, payload JSON, has-event-id ('1'/'0'), event id, topic, JSON head (up to
 * `"seq":`), JSON tail (from `,"ts":`). Returns { epoch, seq }.
 */
export const PUBLISH_SCRIPT = `${ENSURE_EPOCH}
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local maxlen = tonumber(ARGV[3])
if maxlen > 0 then
  if ARGV[7] == '1' then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, seq .. '-0', 'type', ARGV[4], 'ts', ARGV[5], 'payload', ARGV[6], 'eventId', ARGV[8])
  else
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', maxlen, seq .. '-0', 'type', ARGV[4], 'ts', ARGV[5], 'payload', ARGV[6])
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[9], ARGV[10] .. seq .. ',"epoch":"' .. epoch .. '"' .. ARGV[11])
return {epoch, seq}
`;

/**
 * Reads a channel for a subscribe or a catch-up, and keeps it alive. KEYS: meta, stream. ARGV:
 * candidate epoch, ttl ms, fromSeq (-1: no replay), the resume epoch ('' : any), an epoch to
 * replace ('' : none; used when Redis came back with an older history under the same epoch: the
 * seq goes on, the stream is dropped). Returns { epoch, seq, entries after fromSeq }.
 */
export const READ_SCRIPT = `${ENSURE_EPOCH}
if ARGV[5] ~= '' and epoch == ARGV[5] then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch)
end
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
local entries = {}
local from = tonumber(ARGV[3])
if from >= 0 and from < seq and (ARGV[4] == '' or ARGV[4] == epoch) then
  entries = redis.call('XRANGE', KEYS[2], (from + 1) .. '-0', '+', 'COUNT', seq - from)
end
return {epoch, seq, entries}
`;

/** The newest kept event, without creating anything. KEYS: meta, stream. Returns { epoch, seq, [entry] } or {} when the channel has no hash. */
export const NEWEST_SCRIPT = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then return {} end
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
return {epoch, seq, redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)}
`;

/** A Lua script run by its SHA, sent whole once when Redis does not have it (after a restart, say). */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisConnection, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await client.sendCommand(['EVALSHA', this.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof ErrorReply) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.sendCommand(['EVAL', this.source, ...tail]);
    }
  }
}

/** One stream entry as Redis returns it: `[id, [field, value, …]]`. */
export interface StreamEntry {
  seq: number;
  fields: Map<string, string>;
}

/** Parses XRANGE/XREVRANGE output (RESP2 or RESP3 shapes) into entries. */
export function streamEntriesOf(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: StreamEntry[] = [];
  for (const raw of reply) {
    if (!Array.isArray(raw) || raw.length < 2) continue;
    const id = String(raw[0]);
    const list: unknown[] = Array.isArray(raw[1]) ? (raw[1] as unknown[]) : [];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < list.length; i += 2) fields.set(String(list[i]), String(list[i + 1]));
    entries.push({ seq: Number(id.slice(0, id.indexOf('-'))), fields });
  }
  return entries;
}
