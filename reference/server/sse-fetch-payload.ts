/** Checks the payload of a `sse:fetch` request (reference/protocol/bridge.ts) before it reaches the SSE bridge. */

/** Why `payload` is not a `SseFetchPayload`, or `undefined` when it is. */
export function sseFetchProblem(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return 'payload must be { url, method?, headers?, body? }';
  const { url, method, headers, body } = payload as Record<string, unknown>;
  if (typeof url !== 'string' || url.length === 0) return '"url" must be a non-empty string (a path such as /api/stream, or an absolute URL)';
  if (method !== undefined && (typeof method !== 'string' || !/^[A-Za-z]{1,16}$/.test(method))) return '"method" must be an HTTP method such as GET or POST';
  if (headers !== undefined && (headers === null || typeof headers !== 'object' || Array.isArray(headers) || !Object.values(headers).every((value) => typeof value === 'string'))) {
    return '"headers" must be an object of header names to string values';
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return '"body" must be a string or null (send JSON as its text)';
  return undefined;
}
