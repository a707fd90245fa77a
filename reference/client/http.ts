/**
 * What every HTTP request of the client shares (connection tickets, `/api/config`, the legacy SSE
 * endpoints, the adapters' SSE fallback): the `fetch` it goes through and the bearer token it carries.
 */

/**
 * `option` (the `fetch` option of `WSClient`, `SyncManager` or an adapter), else the platform's
 * `fetch`, called as a plain function (browsers throw "Illegal invocation" when `fetch` gets another
 * `this`); without either, one that rejects with a `TypeError` saying to pass the option.
 */
export function callableFetch(option: typeof fetch | undefined): typeof fetch {
  const fetchImpl = option ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (fetchImpl === undefined) return () => Promise.reject(new TypeError('no fetch implementation: pass the fetch option'));
  return (input, init) => fetchImpl(input, init);
}

/** `headers` with `Authorization: Bearer <token>` added when there is a token. */
export function withBearer(headers: Record<string, string>, token: string | undefined): Record<string, string> {
  if (token) headers['Authorization'] = `Bearer ${token}`;
  return headers;
}
