/**
 * The channel hub's history (epoch, each channel's seq and replay buffer, TTL bookkeeping) kept in a
 * JSON file, so a restarted server goes on with the same epoch and seqs and replays to resuming
 * clients exactly what they missed. Written atomically (temporary file, fsync, rename): on each
 * change, at most once per interval and off the publishing path; at start; and at a clean stop.
 *
 * Crash safety: the file records whether a clean stop wrote it. A server rewrites it as not clean
 * before it publishes anything, so a file found not clean was left by a process that died and may
 * have published events after its last write, which clients may have seen. Those seqs must never
 * name other events in the same epoch: the saved history is restored under a new epoch (the same
 * events and seqs, renamed), so every resume from before the crash gets an honest `resync`, and a
 * client that then reads the new epoch from its start gets the saved events and what follows.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../lib/atomic-write.js';
import { WsmigError, messageOf } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { ChannelEvent, type ChannelSnapshot, type HubSnapshot } from './hub.js';

/** What a hub state file holds besides the history. */
export interface StoredHubState {
  /** True when a clean stop (drain or close) wrote the file: its history is complete. */
  clean: boolean;
  /** When the file was written, ms since the Unix epoch. */
  writtenAtMs: number;
  snapshot: HubSnapshot;
}

const eventSchema = z.object({
  channel: z.string(),
  type: z.string(),
  seq: z.number().int().min(1),
  ts: z.number(),
  epoch: z.string(),
  eventId: z.string().optional(),
  payload: z.unknown(),
});

/** What an epoch may contain: no `-`, which separates the two halves of an SSE event id. */
const EPOCH_PATTERN = /^[A-Za-z0-9_.]+$/;

// Channels are arrays of named entries, not objects keyed by name: a channel name is any client's string (even "__proto__").
const fileSchema = z.object({
  version: z.literal(1),
  clean: z.boolean(),
  writtenAtMs: z.number(),
  epoch: z.string().regex(EPOCH_PATTERN),
  baseEpoch: z.string().regex(EPOCH_PATTERN),
  rotations: z.number().int().min(0),
  channels: z.array(z.object({ name: z.string(), seq: z.number().int().min(0), lastActiveMs: z.number(), events: z.array(eventSchema) })),
  forgotten: z.array(z.tuple([z.string(), z.number().int().min(0)])),
});

/**
 * Where the hub's history goes when the status store is a file: beside it, `state.json` →
 * `state.hub.json` (any other name gets `.hub.json` appended).
 */
export function hubStateFileBeside(statusFile: string): string {
  const parsed = path.parse(statusFile);
  return path.join(parsed.dir, parsed.ext === '.json' ? `${parsed.name}.hub.json` : `${parsed.base}.hub.json`);
}

function invalid(file: string, why: string): WsmigError {
  return new WsmigError('HUB_STATE_FILE_INVALID', `The hub state file ${file} ${why}. wsmig writes it atomically, so something else changed it: move it away (the server then starts a new replay history) or choose another state file.`);
}

/**
 * Reads a hub state file; `undefined` when there is none yet.
 * @throws WsmigError `HUB_STATE_FILE_UNREADABLE` or `HUB_STATE_FILE_INVALID`, saying what to do.
 */
export async function readHubStateFile(file: string): Promise<StoredHubState | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WsmigError('HUB_STATE_FILE_UNREADABLE', `Cannot read the hub state file ${file}: ${messageOf(error)}. Check its permissions or choose another state file.`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw Object.assign(invalid(file, 'is not JSON'), { cause: error });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw invalid(file, `is not a wsmig hub state file (${parsed.error.issues[0]?.message ?? 'unexpected shape'} at ${parsed.error.issues[0]?.path.join('.') ?? 'the top'})`);
  const state = parsed.data;
  const channels = new Map<string, ChannelSnapshot>();
  for (const entry of state.channels) {
    const events = entry.events.map((e) => new ChannelEvent(e.channel, e.type, e.seq, e.ts, e.epoch, e.payload ?? null, e.eventId));
    // The replay buffer must end at the channel's seq without a hole, or a replay from it would skip events.
    const consecutive = events.every((event, i) => event.channel === entry.name && event.seq === entry.seq - events.length + 1 + i);
    if (!consecutive) throw invalid(file, `has a replay buffer for channel ${JSON.stringify(entry.name)} that does not end at its seq ${entry.seq} without a gap`);
    channels.set(entry.name, { seq: entry.seq, lastActiveMs: entry.lastActiveMs, events });
  }
  return {
    clean: state.clean,
    writtenAtMs: state.writtenAtMs,
    snapshot: { epoch: state.epoch, baseEpoch: state.baseEpoch, rotations: state.rotations, channels, forgotten: new Map(state.forgotten) },
  };
}

/**
 * The history a server goes on with: the stored one after a clean stop; after a crash, the stored
 * one renamed to the new epoch `crashEpoch` (see the module comment).
 */
export function historyToRestore(stored: StoredHubState, crashEpoch: string): HubSnapshot {
  if (stored.clean) return stored.snapshot;
  const channels = new Map<string, ChannelSnapshot>();
  for (const [name, channel] of stored.snapshot.channels) {
    const events = channel.events.map((event) => new ChannelEvent(event.channel, event.type, event.seq, event.ts, crashEpoch, event.payload, event.eventId));
    channels.set(name, { seq: channel.seq, lastActiveMs: channel.lastActiveMs, events });
  }
  return { epoch: crashEpoch, baseEpoch: crashEpoch, rotations: 0, channels, forgotten: stored.snapshot.forgotten };
}

/** The file's text. Each event's JSON is the one it already built for its WebSocket frames. */
export function serializeHubState(snapshot: HubSnapshot, clean: boolean, writtenAtMs: number): string {
  const channels: string[] = [];
  for (const [name, channel] of snapshot.channels) {
    const events = channel.events.map((event) => event.json).join(',');
    channels.push(`{"name":${JSON.stringify(name)},"seq":${channel.seq},"lastActiveMs":${channel.lastActiveMs},"events":[${events}]}`);
  }
  const head = JSON.stringify({ version: 1, clean, writtenAtMs, epoch: snapshot.epoch, baseEpoch: snapshot.baseEpoch, rotations: snapshot.rotations });
  return `${head.slice(0, -1)},"channels":[${channels.join(',')}],"forgotten":${JSON.stringify([...snapshot.forgotten])}}\n`;
}

export interface HubStateWriterOptions {
  /** Shortest time between two writes while the hub keeps changing, in ms. */
  intervalMs: number;
  logger: Logger;
  /** Wall clock for `writtenAtMs`. */
  clock: () => number;
  /** Called after each successful write. */
  onWrite?: () => void;
}

/**
 * A write takes this many times its own duration of rest before the next one, so a large history
 * costs at most a fifth of the time however small `intervalMs` is.
 */
const REST_FACTOR = 4;

/** Writes a hub's history to a file: coalesced while it changes, and marked clean by {@link close}. */
export class HubStateWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastWriteMs = 0;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly snapshot: () => HubSnapshot,
    private readonly options: HubStateWriterOptions,
  ) {}

  /** The hub changed: write it within `intervalMs` (one write for every change until then). Cheap: called on every publish. */
  markChanged(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write(false).catch((error: unknown) => this.options.logger.error({ err: error }, 'could not save the replay history; retrying at the next change'));
    }, Math.max(this.options.intervalMs, this.lastWriteMs * REST_FACTOR));
    this.timer.unref();
  }

  /**
   * Writes the history now, after any write in progress. `clean: false` also marks the file as in
   * use, so that a crash from here on is detected at the next start.
   * @throws WsmigError `HUB_STATE_FILE_WRITE_FAILED`.
   */
  write(clean: boolean): Promise<void> {
    const run = this.writing.then(async () => {
      const startedMs = performance.now();
      // Taken when the write starts: a change after this point schedules the next write.
      const text = serializeHubState(this.snapshot(), clean, this.options.clock());
      try {
        await writeFileAtomic(this.file, text);
      } catch (error) {
        throw new WsmigError('HUB_STATE_FILE_WRITE_FAILED', `Cannot write the hub state file ${this.file}: ${messageOf(error)}. Check the folder's permissions and free space.`, { cause: error });
      } finally {
        this.lastWriteMs = performance.now() - startedMs;
      }
      this.options.onWrite?.();
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  /** Stops the periodic writes and writes the history one last time, marked clean. Call it once nothing publishes any more. */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.write(true);
  }
}
