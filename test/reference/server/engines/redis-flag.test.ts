/**
 * One rollout percentage for every instance on one Redis: two reference servers, a percentage set
 * on one (`POST /admin/flag`) answers every identity the same on both. Skipped, with the reason
 * printed, without redis-server.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inRollout } from '../../../../lib/flag-rollout.js';
import type { ReferenceServer } from '../../../../reference/server/index.js';
import { redisAvailability, startRedisServer, type RedisServer } from '../../../helpers/redis.js';
import { serversPerTest } from '../../../helpers/reference-servers.js';
import { metricValue } from '../../../helpers/server-metrics.js';

const redis = await redisAvailability();
if (!redis.available) console.info(`redis-flag: skipped, ${redis.reason}`);

describe.skipIf(!redis.available)('the shared rollout percentage', () => {
  let server: RedisServer;
  const servers = serversPerTest({ adminLoopback: true });

  beforeAll(async () => {
    server = await startRedisServer(redis.available ? redis.binary : '');
  });
  afterAll(async () => {
    await server?.stop();
  });

  const cohortOf = async (s: ReferenceServer, ids: readonly string[]): Promise<string[]> => {
    const answers = await Promise.all(ids.map(async (id) => ((await (await fetch(`${s.url}/api/config?stickiness=${id}`)).json()) as { flag: { value: boolean } }).flag.value));
    return ids.filter((_, i) => answers[i]);
  };

  it('a percentage set on one instance answers every identity the same on all of them; a later instance takes it whatever its own start value', async () => {
    const redisOption = { url: server.url, prefix: 'rollout:' };
    const a = await servers.start({ redis: redisOption, flag: { value: false } });
    const b = await servers.start({ redis: redisOption, flag: { value: true } });
    expect(b.flagPercentage).toBe(0);
    const response = await fetch(`${a.url}/admin/flag`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"percentage":25}' });
    expect(await response.json()).toMatchObject({ flag: { percentage: 25 } });
    await vi.waitFor(() => expect(b.flagPercentage).toBe(25), { timeout: 5_000, interval: 50 });
    const ids = Array.from({ length: 200 }, (_, i) => `session-${i}`);
    const expected = ids.filter((id) => inRollout(id, 'USE_NEW_WS_SYNC', 25));
    expect(await cohortOf(a, ids)).toEqual(expected);
    expect(await cohortOf(b, ids)).toEqual(expected);
    expect(await metricValue(b.url, 'wsmig_feature_flag_percentage', { name: 'USE_NEW_WS_SYNC' })).toBe(25);
    const c = await servers.start({ redis: redisOption, flag: { percentage: 90 } });
    expect(c.flagPercentage).toBe(25);
    c.setFlagPercentage(50);
    await vi.waitFor(() => expect([a.flagPercentage, b.flagPercentage]).toEqual([50, 50]), { timeout: 5_000, interval: 50 });
  });
});
