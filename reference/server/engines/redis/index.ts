/** The Redis engine: a {@link RedisHub} shared by several instances through one Redis (see docs/redis.md). */
export { createRedisHub, type RedisHub, type RedisHubOptions, type ResyncingSubscriber } from './hub.js';
export { EngineError, EngineErrorCode } from './errors.js';
