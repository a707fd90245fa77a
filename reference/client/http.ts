/**
 * What every HTTP request of the client shares (connection tickets, `/api/config`, the legacy SSE
 * endpoints, the adapters' SSE fallback): the `fetch` it goes through and the bearer token it carries.
 */

/**
 * `option`, else the platform's `fetch`, called as a plain function (browsers throw "Illegal
 * invocation" when `fetch` gets another `this`); without either, one that rejects with a `TypeError`
 * that ends with `missing` (what to pass).
 */
export function callableFetch(option: typeof fetch | undefined, missing: string): typeof fetch {
  const fetchImpl = option ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (fetchImpl === undefined) return () => Promise.reject(new TypeError(`no fetch implementation${missing}`));
  return (input, init) => fetchImpl(input, init);
}

/** `headers` with `Authorization: Bearer <token>` added when there is a token. */
export function withBearer(headers: Record<string, string>, token: string | undefined): Record<string, string> {
  if (token) headers['Authorization'] = `Bearer ${token}`;
  return headers;
}
