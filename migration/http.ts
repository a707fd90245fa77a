/**
 * Small HTTP helpers with timeouts: a migration never waits forever on a sick service. With the
 * service's credentials, a request carries `Authorization: Bearer` (the admin token for the
 * `admin` scope), and a 401 or 403 comes back with a `refusal` saying which variable to set.
 */
import { messageOf } from '../lib/errors.js';
import type { CredentialScope, ServiceCredentials } from '../scenarios/credentials.js';

export interface HttpAnswer {
  ok: boolean;
  status: number;
  text: string;
  /** The body parsed as JSON when it is JSON. */
  json: unknown;
  /** Set when no HTTP answer came at all (refused, timeout, DNS). */
  error?: string;
  /** Set for a 401 or 403 when credentials were given: what to do, naming the variable (never the token). */
  refusal?: string;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  timeoutMs?: number;
  /** The service's credentials: the request carries the token of `scope`. */
  credentials?: ServiceCredentials;
  /** `admin` for `/admin/*` (the admin token); default `service`. */
  scope?: CredentialScope;
}

/** GET or POST with a timeout; never throws: a failure is an answer with `status: 0` and `error`. */
export async function request(url: string, options: RequestOptions = {}): Promise<HttpAnswer> {
  const method = options.method ?? 'GET';
  const scope = options.scope ?? 'service';
  const headers: Record<string, string> = { ...options.credentials?.headers(scope), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) };
  try {
    const response = await fetch(url, {
      method,
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const refusal = options.credentials?.refusal(response.status, `${method} ${url}`, scope);
    return { ok: response.ok, status: response.status, text, json, ...(refusal === undefined ? {} : { refusal }) };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return { ok: false, status: 0, text: '', json: undefined, error: cause ? `${messageOf(error)}: ${messageOf(cause)}` : messageOf(error) };
  }
}
