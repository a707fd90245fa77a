/**
 * Message templates, pre-serialised: a template is split once into literal text and placeholder
 * slots, so sending a message is one pass of string concatenation (the load generator's hot path)
 * rather than a JSON.stringify of an object per message.
 *
 * Placeholders: `{{id}}` (the message's id, unique on its connection), `{{seq}}` (1, 2, 3… per
 * connection: the request count, or the subscription's number), `{{vu}}` (the connection's index in
 * the run), `{{now}}` (wall-clock ms since the epoch), `{{payload}}` (random letters, as many as the
 * scenario's `payloadBytes` knob), `{{payload:N}}` (N random letters) and, in `subscribe.resume`
 * only, `{{lastSeq}}` (the sequence number of the last event the connection received; 0 before any).
 */

/** What a placeholder is replaced with. */
export type PlaceholderName = 'id' | 'seq' | 'vu' | 'now' | 'payload' | 'lastSeq';

export const PLACEHOLDER_NAMES: readonly PlaceholderName[] = ['id', 'seq', 'vu', 'now', 'payload', 'lastSeq'];

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)(?::(\d+))?\s*\}\}/g;
/** Largest `{{payload:N}}`: a frame bigger than this is a memory test, not a latency test. */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

/** A template that cannot be compiled (unknown placeholder, payload too big). */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** The per-message values. */
export interface TemplateValues {
  id: number;
  seq: number;
  vu: number;
  /** `{{lastSeq}}` (a resuming subscribe); 0 when not given. */
  lastSeq?: number;
}

/** How a placeholder is written: a whole JSON value, text inside a JSON string, or raw text. */
type SlotMode = 'value' | 'in-string' | 'raw';

/** A slot filled per message (payloads are literal text, written once). */
type Slot = Exclude<PlaceholderName, 'payload'>;

export interface CompileOptions {
  /** `{{payload}}` size, bytes (the scenario's payloadBytes knob). */
  payloadBytes: number;
  /** For the payload letters (injectable for tests). */
  random?: () => number;
}

/** A compiled template: `render` concatenates literal parts and slot values. */
export interface CompiledTemplate {
  /** The message for these values. */
  render(values: TemplateValues): string;
  /**
   * The key a reply carries when it echoes this message's `{{id}}` (as `keyOf` reads it): the id's
   * number for `"{{id}}"`, the whole string for `"q{{id}}"`. Undefined when the template has no `{{id}}`.
   */
  idKey: ((values: TemplateValues) => string) | undefined;
  /** Placeholders it uses. */
  readonly uses: ReadonlySet<PlaceholderName>;
}

/** Random ASCII letters: JSON-safe and text-safe, so a payload is `bytes` long wherever it goes. */
export function randomLetters(bytes: number, random: () => number = Math.random): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let text = '';
  for (let i = 0; i < bytes; i += 1) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

/** Checks a template's placeholders without compiling it. @throws TemplateError */
export function checkTemplate(template: unknown): void {
  compileTemplate(template, { payloadBytes: 0, random: () => 0 });
}

/**
 * Compiles a template: a string is raw text, an object or array a JSON message.
 * @throws TemplateError for an unknown placeholder or an oversized payload.
 */
export function compileTemplate(template: unknown, options: CompileOptions): CompiledTemplate {
  const random = options.random ?? Math.random;
  const payloads = new Map<number, string>();
  const payloadOf = (bytes: number): string => {
    let text = payloads.get(bytes);
    if (text === undefined) {
      text = randomLetters(bytes, random);
      payloads.set(bytes, text);
    }
    return text;
  };
  const parts: string[] = [''];
  const slots: Slot[] = [];
  const uses = new Set<PlaceholderName>();
  let idKey: CompiledTemplate['idKey'];
  const literal = (text: string): void => {
    parts[parts.length - 1] += text;
  };
  const slot = (name: Slot): void => {
    slots.push(name);
    parts.push('');
  };
  const placeholder = (name: string, size: string | undefined, mode: SlotMode): void => {
    if (!(PLACEHOLDER_NAMES as readonly string[]).includes(name)) {
      throw new TemplateError(`unknown placeholder {{${name}}}: use ${PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(', ')} or {{payload:N}}`);
    }
    uses.add(name as PlaceholderName);
    if (size !== undefined && name !== 'payload') throw new TemplateError(`{{${name}:${size}}}: only {{payload:N}} takes a size`);
    if (name === 'payload') {
      const bytes = size === undefined ? options.payloadBytes : Number(size);
      if (bytes > MAX_PAYLOAD_BYTES) throw new TemplateError(`{{payload:${size ?? bytes}}} is larger than ${MAX_PAYLOAD_BYTES} bytes`);
      const letters = payloadOf(bytes);
      literal(mode === 'value' ? `"${letters}"` : letters);
      return;
    }
    slot(name as Slot);
  };
  const emitString = (text: string, mode: 'json' | 'raw'): void => {
    const whole = /^\{\{\s*([A-Za-z]+)(?::(\d+))?\s*\}\}$/.exec(text);
    if (mode === 'json' && whole) {
      placeholder(whole[1] as string, whole[2], 'value');
      if (whole[1] === 'id') idKey = (values) => String(values.id);
      return;
    }
    if (mode === 'json') literal('"');
    let last = 0;
    for (const match of text.matchAll(PLACEHOLDER)) {
      const before = text.slice(last, match.index);
      literal(mode === 'json' ? JSON.stringify(before).slice(1, -1) : before);
      placeholder(match[1] as string, match[2], mode === 'json' ? 'in-string' : 'raw');
      last = (match.index as number) + match[0].length;
    }
    literal(mode === 'json' ? JSON.stringify(text.slice(last)).slice(1, -1) : text.slice(last));
    if (mode === 'json') literal('"');
    if (idKey === undefined && /\{\{\s*id\s*\}\}/.test(text)) {
      if (mode === 'raw') idKey = (values) => String(values.id);
      else {
        // The reply echoes the whole string the id sits in: that string, rendered as raw text, is its key.
        const inner = compileTemplate(text, options);
        idKey = (values) => inner.render(values);
      }
    }
  };
  const emit = (value: unknown): void => {
    if (typeof value === 'string') emitString(value, 'json');
    else if (Array.isArray(value)) {
      literal('[');
      value.forEach((item, i) => {
        if (i > 0) literal(',');
        emit(item);
      });
      literal(']');
    } else if (value !== null && typeof value === 'object') {
      literal('{');
      Object.entries(value as Record<string, unknown>).forEach(([key, item], i) => {
        literal(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`);
        emit(item);
      });
      literal('}');
    } else literal(JSON.stringify(value ?? null));
  };
  if (typeof template === 'string') emitString(template, 'raw');
  else emit(template);
  const render = renderer(parts, slots);
  return { render, idKey, uses };
}

function renderer(parts: readonly string[], slots: readonly Slot[]): (values: TemplateValues) => string {
  if (slots.length === 0) {
    const text = parts[0] as string;
    return () => text;
  }
  return (values) => {
    let text = parts[0] as string;
    for (let i = 0; i < slots.length; i += 1) {
      const slot = slots[i] as Slot;
      // id, seq, vu, now and lastSeq are numbers: their text is the same as a JSON value, inside a string or raw.
      text += String(slot === 'now' ? Date.now() : (values[slot] ?? 0));
      text += parts[i + 1] as string;
    }
    return text;
  };
}
