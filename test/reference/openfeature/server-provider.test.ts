/**
 * The wsmig flag through the real `@openfeature/server-sdk`, against a real reference server: the
 * provider answers each targeting key what `/api/config` answers that id, and follows a percentage
 * change (remote: at once; local: at its next poll, announced as a configuration change).
 */
import { OpenFeature, ProviderEvents, type Client } from '@openfeature/server-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inRollout } from '../../../lib/flag-rollout.js';
import { WsmigServerProvider } from '../../../reference/openfeature/index.js';
import type { ReferenceServer } from '../../../reference/server/index.js';
import { serversPerTest } from '../../helpers/reference-servers.js';

const { start } = serversPerTest({ adminLoopback: true });
afterEach(async () => {
  await OpenFeature.close();
});

const IDS = Array.from({ length: 60 }, (_, i) => `user-${i}`);

async function configValues(server: ReferenceServer): Promise<boolean[]> {
  return Promise.all(IDS.map(async (id) => ((await (await fetch(`${server.url}/api/config?stickiness=${id}`)).json()) as { flag: { value: boolean } }).flag.value));
}

async function flagValues(client: Client): Promise<boolean[]> {
  return Promise.all(IDS.map((id) => client.getBooleanValue('USE_NEW_WS_SYNC', false, { targetingKey: id })));
}

async function setPercentage(server: ReferenceServer, percentage: number): Promise<void> {
  const response = await fetch(`${server.url}/admin/flag`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ percentage }) });
  expect(response.status).toBe(200);
}

describe('WsmigServerProvider through @openfeature/server-sdk', () => {
  it.each(['remote', 'local'] as const)('%s: answers every targeting key as /api/config does, and follows a percentage change', async (evaluation) => {
    const server = await start({ flag: { percentage: 30 } });
    await OpenFeature.setProviderAndWait(evaluation, new WsmigServerProvider({ url: server.url, evaluation, pollIntervalMs: 50 }));
    const client = OpenFeature.getClient(evaluation);
    const before = await configValues(server);
    expect(await flagValues(client)).toEqual(before);
    expect(before.filter(Boolean).length).toBeGreaterThan(5);
    const changed = vi.fn();
    client.addHandler(ProviderEvents.ConfigurationChanged, changed);
    await setPercentage(server, 70);
    const after = await configValues(server);
    await vi.waitFor(async () => expect(await flagValues(client)).toEqual(after), { timeout: 5_000, interval: 50 });
    before.forEach((value, i) => value && expect(after[i]).toBe(true));
    if (evaluation === 'local') await vi.waitFor(() => expect(changed).toHaveBeenCalled(), { timeout: 5_000 });
  });

  it('tells a split from a static answer, carries the rollout, and asks for a targeting key during a partial rollout', async () => {
    const server = await start({ flag: { percentage: 50, groupId: 'checkout' } });
    await OpenFeature.setProviderAndWait('details', new WsmigServerProvider({ url: server.url }));
    const client = OpenFeature.getClient('details');
    const id = IDS[0] as string;
    expect(await client.getBooleanDetails('USE_NEW_WS_SYNC', false, { targetingKey: id })).toMatchObject({
      value: inRollout(id, 'checkout', 50),
      variant: inRollout(id, 'checkout', 50) ? 'on' : 'off',
      reason: 'SPLIT',
      flagMetadata: { percentage: 50, groupId: 'checkout' },
    });
    expect(await client.getBooleanDetails('USE_NEW_WS_SYNC', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'TARGETING_KEY_MISSING' });
    server.setFlagPercentage(100);
    expect(await client.getBooleanDetails('USE_NEW_WS_SYNC', false)).toMatchObject({ value: true, variant: 'on', reason: 'STATIC' });
    expect(await client.getBooleanDetails('OTHER_FLAG', false, { targetingKey: id })).toMatchObject({ value: false, errorCode: 'FLAG_NOT_FOUND' });
    expect(await client.getStringDetails('USE_NEW_WS_SYNC', 'x', { targetingKey: id })).toMatchObject({ value: 'x', errorCode: 'TYPE_MISMATCH' });
  });

  it('evaluates a fixed percentage without a service, as the service would', async () => {
    await OpenFeature.setProviderAndWait('fixed', new WsmigServerProvider({ percentage: 25, groupId: 'gr1' }));
    const client = OpenFeature.getClient('fixed');
    expect(await client.getBooleanValue('USE_NEW_WS_SYNC', false, { targetingKey: '123' })).toBe(false);
    await OpenFeature.setProviderAndWait('fixed', new WsmigServerProvider({ percentage: 73, groupId: 'gr1' }));
    expect(await client.getBooleanValue('USE_NEW_WS_SYNC', false, { targetingKey: '123' })).toBe(true);
    expect(() => new WsmigServerProvider({ percentage: 120 })).toThrow(TypeError);
  });

  it('gives the application\'s default, with the reason, when the service does not answer', async () => {
    const server = await start();
    const url = server.url;
    await server.close();
    await OpenFeature.setProviderAndWait('gone', new WsmigServerProvider({ url, timeoutMs: 1_000 }));
    const details = await OpenFeature.getClient('gone').getBooleanDetails('USE_NEW_WS_SYNC', true, { targetingKey: 'user-1' });
    expect(details).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'GENERAL' });
  });
});
