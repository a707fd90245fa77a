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

const POLICY: ReadonlyMap<number, ReconnectPolicy> = new Map<number, ReconnectPolicy>([
  [CloseCode.normal, 'reconnect'],
  [CloseCode.goingAway, 'reconnect'],
  [CloseCode.noStatus, 'reconnect'],
  [CloseCode.abnormal, 'reconnect'],
  [CloseCode.serviceRestart, 'reconnect'],
  [CloseCode.badGateway, 'reconnect'],
  [CloseCode.internalError, 'reconnect-slow'],
  [CloseCode.tryAgainLater, 'reconnect-slow'],
  [CloseCode.protocolError, 'stop'],
  [CloseCode.unsupportedData, 'stop'],
  [CloseCode.invalidPayload, 'stop'],
  [CloseCode.policyViolation, 'stop'],
  [CloseCode.messageTooBig, 'stop'],
  [1010, 'stop'], // mandatory extension missing: the same handshake will fail again
  [1015, 'stop'], // TLS handshake failure
  [CloseCode.unauthorized, 'reauthenticate'],
  [CloseCode.forbidden, 'stop'],
  [CloseCode.tooManyBadFrames, 'stop'],
  [CloseCode.rateLimited, 'reconnect-slow'],
  [CloseCode.slowConsumer, 'reconnect'],
  [CloseCode.overloaded, 'reconnect-slow'],
  [CloseCode.kicked, 'reconnect'],
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
