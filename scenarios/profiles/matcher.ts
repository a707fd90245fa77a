/** A profile's message matchers, compiled once: path split, regular expression built. */
import { compilePath, valueAt, type CompiledPath } from './json-path.js';
import type { MessageMatch, MessageMatcher } from './schema.js';

/** A received message: its text, and its JSON value when it parsed (undefined otherwise). */
export interface ReceivedMessage {
  text: string;
  json: unknown;
}

export type CompiledMatcher = (message: ReceivedMessage) => boolean;

/** Compiles one matcher, or several that must all match. */
export function compileMatch(match: MessageMatch): CompiledMatcher {
  if (!Array.isArray(match)) return compileMatcher(match);
  const all = match.map(compileMatcher);
  return (message) => all.every((matches) => matches(message));
}

export function compileMatcher(matcher: MessageMatcher): CompiledMatcher {
  const pattern = matcher.pattern === undefined ? undefined : new RegExp(matcher.pattern);
  if (matcher.path === undefined) return (message) => (pattern as RegExp).test(message.text);
  const path: CompiledPath = compilePath(matcher.path);
  const equals = matcher.equals;
  if (equals !== undefined) return (message) => valueAt(message.json, path) === equals;
  if (pattern !== undefined) {
    return (message) => {
      const value = valueAt(message.json, path);
      return value !== undefined && pattern.test(typeof value === 'string' ? value : JSON.stringify(value));
    };
  }
  return (message) => valueAt(message.json, path) !== undefined;
}
