/**
 * WebSocket close codes used by wsmig, and the client's reconnect policy for each.
 * Standard codes are from RFC 6455 §7.4.1 and the IANA registry; application codes are in
 * 4000–4999, grouped by meaning: 40xx auth, 41xx protocol misuse, 42xx load, 43xx lifecycle.
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  noStatus: 1005,
  abnormal: 1006,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  badGateway: 1014,
  // 40xx — authentication and authorization
  /** The token was missing, invalid or expired during the session. */
  unauthorized: 4001,
  /** Authenticated but not allowed. */
  forbidden: 4003,
  // 41xx — protocol misuse
  /** Too many invalid frames in a short time. */
  tooManyBadFrames: 4100,
  // 42xx — load
  /** The connection kept exceeding its message rate. */
  rateLimited: 4200,
  /** The client read too slowly: the server's send buffer passed its watermark. */
  slowConsumer: 4201,
  /** The server is at its connection limit. */
  overloaded: 4202,
  // 43xx — lifecycle
  /** An operator disconnected the client (admin kick). */
  kicked: 4300,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * What a client does after a close with a given code.
 * - `reconnect`: reconnect with the normal backoff.
 * - `reconnect-slow`: reconnect, starting the backoff at a longer delay (server asked for relief).
 * - `reauthenticate`: reconnect only with a fresh token from the token provider; otherwise stop.
 * - `stop`: never reconnect; retrying would fail the same way.
 */
export type ReconnectPolicy = 'reconnect' | 'reconnect-slow' | 'reauthenticate' | 'stop';

/**
 * Keyed by the codes themselves (typed as {@link CloseCode}), not read from the table: every client
 * bundle carries this map, and it need not carry the names too.
 */
const POLICY: ReadonlyMap<number, ReconnectPolicy> = new Map<CloseCode | 1010 | 1015, ReconnectPolicy>([
  [1000, 'reconnect'], // normal
  [1001, 'reconnect'], // goingAway
  [1005, 'reconnect'], // noStatus
  [1006, 'reconnect'], // abnormal
  [1012, 'reconnect'], // serviceRestart
  [1014, 'reconnect'], // badGateway
  [1011, 'reconnect-slow'], // internalError
  [1013, 'reconnect-slow'], // tryAgainLater
  [1002, 'stop'], // protocolError
  [1003, 'stop'], // unsupportedData
  [1007, 'stop'], // invalidPayload
  [1008, 'stop'], // policyViolation
  [1009, 'stop'], // messageTooBig
  [1010, 'stop'], // mandatory extension missing: the same handshake will fail again
  [1015, 'stop'], // TLS handshake failure
  [4001, 'reauthenticate'], // unauthorized
  [4003, 'stop'], // forbidden
  [4100, 'stop'], // tooManyBadFrames
  [4200, 'reconnect-slow'], // rateLimited
  [4201, 'reconnect'], // slowConsumer
  [4202, 'reconnect-slow'], // overloaded
  [4300, 'reconnect'], // kicked
]);

/**
 * The reconnect policy for a close code. Unlisted codes: 40xx → reauthenticate,
 * 41xx → stop, 42xx → reconnect-slow, other 4xxx → reconnect, other 1xxx/3xxx → reconnect.
 */
export function reconnectPolicyFor(code: number): ReconnectPolicy {
  const known = POLICY.get(code);
  if (known) return known;
  if (code >= 4000 && code < 4100) return 'reauthenticate';
  if (code >= 4100 && code < 4200) return 'stop';
  if (code >= 4200 && code < 4300) return 'reconnect-slow';
  return 'reconnect';
}

/** A short name for a close code, for logs and metric labels. */
export function closeCodeName(code: number): string {
  for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name;
  return String(code);
}
