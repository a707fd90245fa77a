/**
 * The part of the WebSocket API the client uses, met by the browser's `WebSocket` and by `ws`.
 * The browser entry never imports `ws`; the Node entry (node.ts) registers it as the default.
 */

/** `readyState` of an open socket (same value in browsers and `ws`). */
export const OPEN_STATE = 1;

/** The events the client listens to. `data` is a string for text frames. */
export interface WebSocketEventMapLike {
  open: unknown;
  message: { data: unknown };
  error: { message?: string; error?: unknown };
  close: { code: number; reason: string };
}

/** A WebSocket as the client sees it. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener<K extends keyof WebSocketEventMapLike>(type: K, listener: (event: WebSocketEventMapLike[K]) => void): void;
  /** `ws` only: destroy the socket without a closing handshake (for a dead peer). */
  terminate?(): void;
}

/**
 * A WebSocket constructor: the browser's `WebSocket`, `ws`, or a test double. The third argument is
 * passed only to implementations registered as accepting `{ headers }` (as `ws` does).
 */
export type WebSocketConstructorLike = new (url: string, protocols?: string | string[], options?: { headers?: Record<string, string> }) => WebSocketLike;

const acceptsHeaderOption = new WeakSet<WebSocketConstructorLike>();
let registeredDefault: WebSocketConstructorLike | undefined;

/**
 * Registers the implementation used when `WSOptions.WebSocket` is not given. `acceptsHeaders`
 * marks one that takes `{ headers }` as its third argument, so a token can travel in an
 * `Authorization` header instead of the URL.
 */
export function setDefaultWebSocket(implementation: WebSocketConstructorLike, options: { acceptsHeaders?: boolean } = {}): void {
  registeredDefault = implementation;
  if (options.acceptsHeaders) acceptsHeaderOption.add(implementation);
}

/** The implementation to use: the registered default, else the platform's global `WebSocket`. */
export function defaultWebSocket(): WebSocketConstructorLike | undefined {
  return registeredDefault ?? (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
}

/** Whether `implementation` was registered as accepting `{ headers }`. */
export function acceptsHeaders(implementation: WebSocketConstructorLike): boolean {
  return acceptsHeaderOption.has(implementation);
}
