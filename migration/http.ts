/** Small HTTP helpers with timeouts: a migration never waits forever on a sick service. */
import { messageOf } from '../lib/errors.js';

export interface HttpAnswer {
  ok: boolean;
  status: number;
  text: string;
  /** The body parsed as JSON when it is JSON. */
  json: unknown;
  /** Set when no HTTP answer came at all (refused, timeout, DNS). */
  error?: string;
}

/** GET or POST with a timeout; never throws: a failure is an answer with `status: 0` and `error`. */
export async function request(url: string, options: { method?: 'GET' | 'POST'; body?: unknown; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  try {
    const response = await fetch(url, {
      method: options.method ?? 'GET',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { ok: response.ok, status: response.status, text, json };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return { ok: false, status: 0, text: '', json: undefined, error: cause ? `${messageOf(error)}: ${messageOf(cause)}` : messageOf(error) };
  }
}
