/**
 * Server-Sent Events framing (WHATWG HTML, "Server-sent events" §9.2.6): one `field: value` per line,
 * an empty line ends the event. Data with line breaks becomes several `data:` lines, which the
 * client joins back with "\n".
 */

export interface SseEventFields {
  id?: string;
  event?: string;
  data: string;
  /** Reconnection time the client should use, in ms. */
  retry?: number;
}

function singleLine(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new TypeError(`an SSE "${name}" field cannot contain a line break`);
  return value;
}

/** One event, ready to write. */
export function formatSseEvent(fields: SseEventFields): string {
  let text = '';
  if (fields.id !== undefined) text += `id: ${singleLine('id', fields.id)}\n`;
  if (fields.event !== undefined) text += `event: ${singleLine('event', fields.event)}\n`;
  if (fields.retry !== undefined) text += `retry: ${Math.max(0, Math.floor(fields.retry))}\n`;
  for (const line of fields.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return `${text}\n`;
}

/** A comment line (ignored by clients; keeps proxies from closing an idle stream). */
export function formatSseComment(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `: ${line}\n`)
    .join('')
    .concat('\n');
}
