/**
 * Application channels and events: which channel names a client may use, how an SSE URL maps to a
 * channel the SSE bridge relays, and how an event name travels in a frame's `type`.
 * Specified in docs/protocol.md ("Channels and events"). Depends on nothing.
 */
import { RESERVED_TYPES } from './message-types.js';

/** Longest channel name, in UTF-16 code units. */
export const MAX_CHANNEL_LENGTH = 256;

/** Prefix of the channels that carry a GET SSE stream of the upstream server: `sse:/events?room=1`. */
export const SSE_CHANNEL_PREFIX = 'sse:';
/** Prefix of the channel that carries one streamed response (`sse:fetch`): `sse-fetch:<id>`. */
export const SSE_FETCH_CHANNEL_PREFIX = 'sse-fetch:';

// Printable ASCII without space; `#` is kept for the gateway's internal channel keys.
const CHANNEL_PATTERN = /^[\x21-\x22\x24-\x7e]+$/;

/** Why `channel` is not a valid channel name, or `undefined` when it is. */
export function channelProblem(channel: unknown): string | undefined {
  if (typeof channel !== 'string' || channel.length === 0) return 'a channel must be a non-empty string';
  if (channel.length > MAX_CHANNEL_LENGTH) return `a channel has at most ${MAX_CHANNEL_LENGTH} characters`;
  if (!CHANNEL_PATTERN.test(channel)) return 'a channel is printable ASCII without spaces or "#"';
  return undefined;
}

/**
 * The channel that carries the SSE stream at `url` (absolute or relative): `sse:` + its path and
 * query. The host is the gateway's business (its upstream), so `https://app.example/events` and
 * `/events` name the same channel. The fragment is dropped, as HTTP drops it.
 */
export function sseChannelForUrl(url: string): string {
  const parsed = new URL(url, 'http://relative.invalid');
  return `${SSE_CHANNEL_PREFIX}${parsed.pathname}${parsed.search}`;
}

/** The upstream path and query a `sse:` channel names, or `undefined` for any other channel. */
export function ssePathOfChannel(channel: string): string | undefined {
  if (!channel.startsWith(SSE_CHANNEL_PREFIX)) return undefined;
  const path = channel.slice(SSE_CHANNEL_PREFIX.length);
  return path.startsWith('/') ? path : undefined;
}

/**
 * Event names that would read as a control frame (`reply`, `error`, …) travel escaped as
 * `event:<name>`; so does any name that already starts with `event:`. Every other name is the
 * frame's `type` as it is.
 */
const ESCAPE_PREFIX = 'event:';

/** The frame `type` that carries an event named `name`. */
export function eventFrameType(name: string): string {
  return RESERVED_TYPES.has(name) || name.startsWith(ESCAPE_PREFIX) ? `${ESCAPE_PREFIX}${name}` : name;
}

/** The event name a frame `type` carries (the inverse of {@link eventFrameType}). */
export function eventNameOfFrameType(type: string): string {
  return type.startsWith(ESCAPE_PREFIX) ? type.slice(ESCAPE_PREFIX.length) : type;
}
