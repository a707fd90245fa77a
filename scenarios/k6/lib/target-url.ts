/**
 * The HTTP side of a WebSocket target. No k6 imports: unit-tested in Node.
 */

/** The HTTP origin of a WebSocket URL: ws://host:3000/ws → http://host:3000, wss → https. */
export function httpOriginOf(wsUrl: string): string {
  const match = /^(ws|wss):\/\/([^/?#]+)/.exec(wsUrl);
  if (match === null) throw new Error(`WSMIG_TARGET="${wsUrl}" is not a WebSocket URL: expected ws://host:port/ws or wss://host/ws.`);
  return `${match[1] === 'wss' ? 'https' : 'http'}://${match[2]}`;
}
