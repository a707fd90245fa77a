/**
 * A validated profile compiled for sending and recognising messages fast: templates split into
 * parts and slots, matchers and paths built once. Compiled where it runs (each native worker
 * thread), from the profile's plain data.
 */
import { compilePath, type CompiledPath } from './json-path.js';
import { compileMatch, type CompiledMatcher } from './matcher.js';
import type { ProtocolProfile, ReplyRule } from './schema.js';
import { compileTemplate, type CompiledTemplate, type CompileOptions } from './template.js';

/** A handshake, subscribe ack or request reply, recognised by id or as the next matching message. */
export interface CompiledReply {
  idPath: CompiledPath | undefined;
  match: CompiledMatcher | undefined;
}

export interface CompiledProfile {
  name: string;
  subprotocols: readonly string[];
  headers: Readonly<Record<string, string>>;
  handshake: { send: CompiledTemplate | undefined; expect: CompiledMatcher | undefined; timeoutMs: number } | undefined;
  autoReplies: readonly { match: CompiledMatcher; send: CompiledTemplate }[];
  ignore: CompiledMatcher | undefined;
  request: { send: CompiledTemplate; reply: CompiledReply; error: CompiledMatcher | undefined } | undefined;
  subscribe: { send: CompiledTemplate; resume: CompiledTemplate | undefined; ack: CompiledReply | undefined } | undefined;
  events:
    | {
        match: CompiledMatcher;
        seqPath: CompiledPath | undefined;
        timestampPath: CompiledPath | undefined;
        /** Milliseconds per unit of a numeric timestamp. */
        timestampScale: number;
      }
    | undefined;
  unsubscribe: CompiledTemplate | undefined;
  close: { send: CompiledTemplate | undefined; code: number; reason: string };
}

/** A handshake without its own timeout fails after this. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

function compileReply(rule: ReplyRule): CompiledReply {
  return { idPath: rule.idPath === undefined ? undefined : compilePath(rule.idPath), match: rule.match === undefined ? undefined : compileMatch(rule.match) };
}

/** Compiles a validated profile (templates were checked when it was loaded). */
export function compileProfile(profile: ProtocolProfile, options: CompileOptions): CompiledProfile {
  const template = (value: unknown): CompiledTemplate => compileTemplate(value, options);
  const optional = (value: unknown): CompiledTemplate | undefined => (value === undefined ? undefined : template(value));
  return {
    name: profile.name,
    subprotocols: profile.connect?.subprotocols ?? [],
    headers: profile.connect?.headers ?? {},
    handshake: profile.handshake
      ? {
          send: optional(profile.handshake.send),
          expect: profile.handshake.expect === undefined ? undefined : compileMatch(profile.handshake.expect),
          timeoutMs: profile.handshake.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
        }
      : undefined,
    autoReplies: (profile.autoReplies ?? []).map((reply) => ({ match: compileMatch(reply.match), send: template(reply.send) })),
    ignore: profile.ignore === undefined ? undefined : compileMatch(profile.ignore),
    request: profile.request
      ? { send: template(profile.request.send), reply: compileReply(profile.request.reply), error: profile.request.error === undefined ? undefined : compileMatch(profile.request.error) }
      : undefined,
    subscribe: profile.subscribe
      ? { send: template(profile.subscribe.send), resume: optional(profile.subscribe.resume), ack: profile.subscribe.ack === undefined ? undefined : compileReply(profile.subscribe.ack) }
      : undefined,
    events: profile.events
      ? {
          match: compileMatch(profile.events.match),
          seqPath: profile.events.seqPath === undefined ? undefined : compilePath(profile.events.seqPath),
          timestampPath: profile.events.timestampPath === undefined ? undefined : compilePath(profile.events.timestampPath),
          timestampScale: profile.events.timestampUnit === 's' ? 1_000 : 1,
        }
      : undefined,
    unsubscribe: optional(profile.unsubscribe?.send),
    close: { send: optional(profile.close?.send), code: profile.close?.code ?? 1000, reason: profile.close?.reason ?? 'load run over' },
  };
}
