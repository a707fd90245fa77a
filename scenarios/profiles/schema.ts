/**
 * A protocol profile: how a load scenario speaks to a WebSocket service that is not wsmig's own,
 * as data (docs/load.md "Protocol profiles"). Validated with zod so that an error names the field.
 * Plain JSON once validated: it crosses into the native engine's worker threads as it is, and the
 * k6 export can render the same data.
 */
import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A dotted JSON path, `params.0.seq`: object keys, and array indices as numbers. */
const jsonPath = z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'a JSON path such as "id" or "params.0.seq" (keys and array indices separated by dots)');

/**
 * Recognises a message: the value at `path` equals `equals`, or (as text) matches the regular
 * expression `pattern`, or merely exists; without `path`, `pattern` is tested on the raw message text.
 */
export const matcherSchema = z
  .object({
    path: jsonPath.optional(),
    equals: scalar.optional(),
    pattern: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((matcher, context) => {
    if (matcher.path === undefined && matcher.pattern === undefined) {
      context.addIssue({ code: 'custom', message: 'give path (a JSON path, with equals or pattern, or alone for "exists") or pattern (a regular expression on the message text)' });
    }
    if (matcher.equals !== undefined && matcher.pattern !== undefined) {
      context.addIssue({ code: 'custom', message: 'give equals or pattern, not both' });
    }
    if (matcher.equals !== undefined && matcher.path === undefined) {
      context.addIssue({ code: 'custom', path: ['equals'], message: 'equals needs a path to compare' });
    }
    if (matcher.pattern !== undefined) {
      try {
        new RegExp(matcher.pattern);
      } catch (error) {
        context.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression (${error instanceof Error ? error.message : String(error)})` });
      }
    }
  });

/**
 * A message to send. A string is sent as it is (placeholders substituted); an object or array is
 * sent as JSON, where a string that is exactly one placeholder becomes that value (`"{{id}}"` → `7`)
 * and a placeholder inside a longer string is substituted into it (`"q{{id}}"` → `"q7"`).
 */
export const templateSchema = z.union([z.string().min(1), z.record(z.string(), z.unknown()), z.array(z.unknown())]);

/** One matcher, or several that must all match. */
export const matchSchema = z.union([matcherSchema, z.array(matcherSchema).min(1)]);

/** How the answer to a request (or a subscribe) is recognised. */
const replySchema = z
  .object({
    /** The reply carries the request's `{{id}}` at this path. */
    idPath: jsonPath.optional(),
    /** The reply is the next message matching this (the oldest request waiting gets it). */
    match: matchSchema.optional(),
  })
  .strict()
  .superRefine((reply, context) => {
    if ((reply.idPath === undefined) === (reply.match === undefined)) context.addIssue({ code: 'custom', message: 'give exactly one of idPath (the reply carries the request id there) or match (the next message matching it)' });
  });

const closeCode = z.number().int().refine((code) => code === 1000 || (code >= 3000 && code <= 4999), 'a close code a client may send: 1000, or 3000–4999');

export const profileSchema = z
  .object({
    /** Lowercase name, shown in reports. */
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, ".", "_" and "-"'),
    description: z.string().optional(),
    /** How to connect: the URL is `--target` (or `url` here), plus headers and subprotocols for the upgrade. */
    connect: z
      .object({
        url: z.string().regex(/^wss?:\/\//, 'a ws:// or wss:// URL').optional(),
        headers: z.record(z.string(), z.string()).optional(),
        subprotocols: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict()
      .optional(),
    /** Sent once a socket opens; the connection is usable after `expect` matched (if given). */
    handshake: z
      .object({
        send: templateSchema.optional(),
        expect: matchSchema.optional(),
        timeoutMs: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    /** Messages the server sends that need an answer, such as a protocol-level ping. */
    autoReplies: z.array(z.object({ match: matchSchema, send: templateSchema }).strict()).optional(),
    /** Messages that need nothing (a stream's `complete` after its reply, say): not counted as unrecognised. */
    ignore: matchSchema.optional(),
    /** The request a scenario times (latency, soak). */
    request: z
      .object({
        send: templateSchema,
        reply: replySchema,
        /** A reply matching this is an error: the request's check fails. */
        error: matchSchema.optional(),
      })
      .strict()
      .optional(),
    /**
     * What every connection subscribes to; `ack` when the server answers the subscribe. `resume`,
     * for a service that replays what a client missed: sent instead of `send` when a connection
     * comes back after a cut, with `{{lastSeq}}` the sequence number of the last event it got, so
     * events missed while it was down are counted (lost when the first one after the cut skips ahead).
     */
    subscribe: z
      .object({
        send: templateSchema,
        resume: templateSchema.optional(),
        ack: replySchema.optional(),
      })
      .strict()
      .optional(),
    /** How events are recognised, and where their sequence number and send timestamp are (each optional). */
    events: z
      .object({
        match: matchSchema,
        seqPath: jsonPath.optional(),
        timestampPath: jsonPath.optional(),
        /** `ms` (default) or `s` since the epoch for a number; a string is read as a date (ISO 8601). */
        timestampUnit: z.enum(['ms', 's']).optional(),
      })
      .strict()
      .optional(),
    /**
     * The service's Server-Sent Events side (the sse-stream scenario): a GET stream held open and
     * resumed with Last-Event-ID, or a POST whose streamed response is timed to its end.
     */
    sse: z
      .object({
        /** A path on the target's host (`/api/stream`), or a whole http(s) URL. */
        url: z.string().regex(/^(\/|https?:\/\/)/, 'a path starting with / (on the target\'s host) or an http(s):// URL'),
        method: z.enum(['GET', 'POST']).optional(),
        headers: z.record(z.string(), z.string()).optional(),
        /** The POST body (a template: `{{vu}}`, `{{seq}}`, `{{now}}`, `{{payload}}`…); JSON for an object. */
        body: templateSchema.optional(),
        events: z
          .object({
            /** Only events of this `event:` name count (default: every event). */
            event: z.string().min(1).optional(),
            /** In the event's JSON `data`. */
            seqPath: jsonPath.optional(),
            /** The sequence number is the number that ends the event's `id:` (`42`, `k3j9-42`). */
            seqFromId: z.boolean().optional(),
            timestampPath: jsonPath.optional(),
            timestampUnit: z.enum(['ms', 's']).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .superRefine((sse, context) => {
        if (sse.body !== undefined && sse.method !== 'POST') context.addIssue({ code: 'custom', path: ['body'], message: 'a body needs method: POST' });
        if (sse.events?.seqPath !== undefined && sse.events.seqFromId === true) context.addIssue({ code: 'custom', path: ['events'], message: 'give seqPath or seqFromId, not both' });
      })
      .optional(),
    /** Sent for each subscription at the end of the run; `{{id}}` is the id its subscribe used. */
    unsubscribe: z.object({ send: templateSchema }).strict().optional(),
    close: z
      .object({
        send: templateSchema.optional(),
        code: closeCode.optional(),
        reason: z.string().max(123).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((profile, context) => {
    if (profile.request === undefined && profile.subscribe === undefined && profile.events === undefined && profile.sse === undefined) {
      context.addIssue({ code: 'custom', message: 'a profile needs request (something to time), or subscribe/events (events to measure), or sse (a Server-Sent Events stream)' });
    }
    if (profile.subscribe !== undefined && profile.events === undefined) {
      context.addIssue({ code: 'custom', path: ['events'], message: 'subscribe needs events: say how its events are recognised (events.match)' });
    }
    if (profile.subscribe?.resume !== undefined && profile.events !== undefined && profile.events.seqPath === undefined) {
      context.addIssue({ code: 'custom', path: ['events', 'seqPath'], message: 'subscribe.resume sends the last sequence number received ({{lastSeq}}): say where events carry it (events.seqPath)' });
    }
  });

/** A validated protocol profile. */
export type ProtocolProfile = z.infer<typeof profileSchema>;
export type MessageMatcher = z.infer<typeof matcherSchema>;
export type MessageMatch = z.infer<typeof matchSchema>;
export type MessageTemplate = z.infer<typeof templateSchema>;
export type ReplyRule = z.infer<typeof replySchema>;
export type SseProfile = NonNullable<ProtocolProfile['sse']>;

/** The profile of wsmig's own envelope: the native engine runs it with its full client (resume, resync, drain, syncs). */
export const WSMIG_PROFILE_NAME = 'wsmig';
