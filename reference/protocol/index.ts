/**
 * The wsmig wire protocol: envelope, message types, error codes, close codes and sync payloads.
 * Specified in docs/protocol.md. Depends on nothing.
 */
export * from './envelope.js';
export * from './message-types.js';
export * from './error-codes.js';
export * from './close-codes.js';
export * from './sync.js';
export * from './channels.js';
export * from './bridge.js';

/** Version of the protocol described in docs/protocol.md. */
export const PROTOCOL_VERSION = 1;
