/**
 * The wsmig flag through the real `@openfeature/web-sdk` (static context), against a real reference
 * server: the page's answer is `/api/config`'s for its targeting key, a new context is read again,
 * and a percentage change reaches the page at the next poll, announced as a configuration change.
 */
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inRollout } from '../../../lib/flag-rollout.js';
import { WsmigWebProvider } from '../../../reference/openfeature/index.js';
import { serversPerTest } from '../../helpers/reference-servers.js';

const { start } = serversPerTest();
afterEach(async () => {
  await OpenFeature.close();
});

describe('WsmigWebProvider through @openfeature/web-sdk', () => {
  it('answers the page\'s targeting key as /api/config does, reads a new context again, and follows a percentage change', async () => {
    const server = await start({ flag: { percentage: 40 } });
    const ids = Array.from({ length: 100 }, (_, i) => `visitor-${i}`);
    const inside = ids.find((id) => inRollout(id, 'USE_NEW_WS_SYNC', 40)) as string;
    const outside = ids.find((id) => !inRollout(id, 'USE_NEW_WS_SYNC', 40)) as string;
    const config = async (id: string) => ((await (await fetch(`${server.url}/api/config?stickiness=${id}`)).json()) as { flag: { value: boolean } }).flag.value;

    await OpenFeature.setProviderAndWait(new WsmigWebProvider({ url: server.url, pollIntervalMs: 50 }), { targetingKey: inside });
    const client = OpenFeature.getClient();
    expect(client.getBooleanValue('USE_NEW_WS_SYNC', false)).toBe(await config(inside));
    expect(client.getBooleanDetails('USE_NEW_WS_SYNC', false)).toMatchObject({ value: true, reason: 'SPLIT', flagMetadata: { percentage: 40 } });

    await OpenFeature.setContext({ targetingKey: outside });
    expect(client.getBooleanValue('USE_NEW_WS_SYNC', true)).toBe(await config(outside));
    expect(client.getBooleanValue('USE_NEW_WS_SYNC', true)).toBe(false);

    const changed = vi.fn();
    client.addHandler(ProviderEvents.ConfigurationChanged, changed);
    server.setFlagPercentage(100);
    await vi.waitFor(() => expect(client.getBooleanValue('USE_NEW_WS_SYNC', false)).toBe(true), { timeout: 5_000, interval: 20 });
    expect(changed).toHaveBeenCalled();
  });

  it('without a targeting key, answers for the session id the wsmig client sends', async () => {
    const server = await start({ flag: { percentage: 50 } });
    const seen: string[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      seen.push(new URL(String(input)).searchParams.get('stickiness') ?? '');
      return fetch(input, init);
    };
    await OpenFeature.setProviderAndWait(new WsmigWebProvider({ url: server.url, fetch: fetchSpy, pollIntervalMs: 0 }), {});
    const { defaultStickinessId } = await import('../../../reference/client/stickiness.js');
    expect(seen).toEqual([defaultStickinessId()]);
    expect(OpenFeature.getClient().getBooleanValue('USE_NEW_WS_SYNC', false)).toBe(inRollout(defaultStickinessId(), 'USE_NEW_WS_SYNC', 50));
  });
});
