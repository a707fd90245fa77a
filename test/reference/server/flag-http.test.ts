/**
 * The percentage flag over HTTP, on a real server: `/api/config` answers each identity its own
 * cohort (the same every time, kept when the percentage rises), `POST /admin/flag {"percentage"}`
 * moves the cohorts live and refuses anything else, the metrics count the cohorts and time the
 * legacy SSE requests beside the WebSocket ones, and a WebSocket client outside its cohort still works.
 */
import { describe, expect, it } from 'vitest';
import { inRollout } from '../../../lib/flag-rollout.js';
import { findSample, samplesFromText } from '../../../lib/prometheus-text.js';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { RawClient } from './raw-client.js';
import { readSse } from './sse-reader.js';

const { start } = serversPerTest();

interface Config {
  transport: 'ws' | 'sse';
  flag: { name: string; value: boolean; percentage: number; groupId: string; sticky: boolean };
}

async function config(baseUrl: string, stickiness?: string, headers: Record<string, string> = {}): Promise<Config> {
  const query = stickiness === undefined ? '' : `?stickiness=${encodeURIComponent(stickiness)}`;
  return (await (await fetch(`${baseUrl}/api/config${query}`, { headers })).json()) as Config;
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const IDS = Array.from({ length: 300 }, (_, i) => `user-${i}`);

/** The ids `/api/config` sends to WebSocket now. */
async function cohort(baseUrl: string): Promise<string[]> {
  const answers = await Promise.all(IDS.map((id) => config(baseUrl, id)));
  return IDS.filter((_, i) => answers[i]?.flag.value === true);
}

describe('GET /api/config per identity', () => {
  it('answers each stickiness id its Unleash bucket at the percentage, the same on every read, and keeps everyone in when it rises', async () => {
    const s = await start({ flag: { percentage: 25 } });
    const first = await cohort(s.url);
    expect(first).toEqual(IDS.filter((id) => inRollout(id, 'USE_NEW_WS_SYNC', 25)));
    expect(first.length).toBeGreaterThan(50);
    expect(first.length).toBeLessThan(100);
    expect(await cohort(s.url)).toEqual(first);
    const answer = await config(s.url, first[0]);
    expect(answer).toMatchObject({ transport: 'ws', flag: { name: 'USE_NEW_WS_SYNC', value: true, percentage: 25, groupId: 'USE_NEW_WS_SYNC', sticky: true } });
    s.setFlagPercentage(50);
    const raised = await cohort(s.url);
    expect(raised.length).toBeGreaterThan(first.length);
    for (const id of first) expect(raised).toContain(id);
  });

  it('says so when it has no id to answer for during a partial rollout (false, sticky: false); at 0 and 100 % everyone has the same answer', async () => {
    const s = await start({ flag: { percentage: 40 } });
    expect(await config(s.url)).toMatchObject({ transport: 'sse', flag: { value: false, percentage: 40, sticky: false } });
    s.setFlagPercentage(100);
    expect(await config(s.url)).toMatchObject({ transport: 'ws', flag: { value: true, percentage: 100, sticky: true } });
    s.setFlag(false);
    expect(await config(s.url, 'user-1')).toMatchObject({ transport: 'sse', flag: { value: false, percentage: 0, sticky: true } });
  });

  it('buckets by the configured group', async () => {
    const s = await start({ flag: { percentage: 50, groupId: 'checkout-rollout' } });
    expect(await cohort(s.url)).toEqual(IDS.filter((id) => inRollout(id, 'checkout-rollout', 50)));
    expect((await config(s.url, 'x')).flag.groupId).toBe('checkout-rollout');
  });

  it('buckets a token\'s identity by its id, whatever stickiness id comes with it', async () => {
    const s = await start({ identities: { 'alice-token-0123456789': { id: 'alice', chats: ['1'] } }, flag: { percentage: 50 } });
    const alice = { authorization: 'Bearer alice-token-0123456789' };
    const aliceIn = inRollout('alice', 'USE_NEW_WS_SYNC', 50);
    const other = IDS.find((id) => inRollout(id, 'USE_NEW_WS_SYNC', 50) !== aliceIn) as string;
    expect((await config(s.url, other, alice)).flag.value).toBe(aliceIn);
    expect((await config(s.url, undefined, alice)).flag).toMatchObject({ value: aliceIn, sticky: true });
    // A token that is no one's is no identity: the stickiness id decides.
    expect((await config(s.url, other, { authorization: 'Bearer nobody-0123456789' })).flag.value).toBe(!aliceIn);
  });

  it('refuses a stickiness id longer than 256 characters', async () => {
    const s = await start({ flag: { percentage: 50 } });
    const response = await fetch(`${s.url}/api/config?stickiness=${'x'.repeat(257)}`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_PAYLOAD');
  });
});

describe('POST /admin/flag with a percentage', () => {
  it('moves the cohorts live and answers the new rollout', async () => {
    const s = await start({ flag: { value: false }, adminLoopback: true });
    expect(await cohort(s.url)).toEqual([]);
    const answer = await post(`${s.url}/admin/flag`, { percentage: 25 });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ flag: { name: 'USE_NEW_WS_SYNC', percentage: 25, groupId: 'USE_NEW_WS_SYNC', value: false, sticky: false } });
    expect(s.flagPercentage).toBe(25);
    expect(await cohort(s.url)).toEqual(IDS.filter((id) => inRollout(id, 'USE_NEW_WS_SYNC', 25)));
    expect(await (await post(`${s.url}/admin/flag`, { value: true })).json()).toMatchObject({ transport: 'ws', flag: { value: true, percentage: 100 } });
    expect(await cohort(s.url)).toEqual(IDS);
  });

  it('refuses anything but {"value": bool} or a whole {"percentage"} from 0 to 100, saying what it accepts, and keeps the flag', async () => {
    const s = await start({ flag: { percentage: 10 }, adminLoopback: true });
    for (const body of [{ percentage: 25.5 }, { percentage: 101 }, { percentage: -1 }, { percentage: '25' }, { percentage: '25%' }, { percentage: null }, { value: true, percentage: 5 }, { value: 'yes' }, {}]) {
      const response = await post(`${s.url}/admin/flag`, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('INVALID_PAYLOAD');
      expect(error.message).toContain('{"percentage": 25}');
    }
    expect(s.flagPercentage).toBe(10);
    expect(() => s.setFlagPercentage(12.5)).toThrow(expect.objectContaining({ code: 'INVALID_FLAG_PERCENTAGE' }));
  });
});

describe('the cohorts in /metrics', () => {
  const scrape = async (baseUrl: string) => samplesFromText(await (await fetch(`${baseUrl}/metrics`)).text());

  it('exposes the percentage, keeps wsmig_feature_flag at 1 only at 100 %, and counts /api/config answers by transport', async () => {
    const s = await start({ flag: { percentage: 25 }, adminLoopback: true });
    const answers = await Promise.all(IDS.map((id) => config(s.url, id)));
    await config(s.url);
    const ws = answers.filter((answer) => answer.transport === 'ws').length;
    let samples = await scrape(s.url);
    expect(findSample(samples, 'wsmig_feature_flag_percentage', { name: 'USE_NEW_WS_SYNC' })?.value).toBe(25);
    expect(findSample(samples, 'wsmig_feature_flag', { name: 'USE_NEW_WS_SYNC' })?.value).toBe(0);
    expect(findSample(samples, 'wsmig_flag_evaluations_total', { name: 'USE_NEW_WS_SYNC', transport: 'ws' })?.value).toBe(ws);
    expect(findSample(samples, 'wsmig_flag_evaluations_total', { name: 'USE_NEW_WS_SYNC', transport: 'sse' })?.value).toBe(IDS.length - ws + 1);
    // /admin/flag's answer is no evaluation.
    await post(`${s.url}/admin/flag`, { percentage: 100 });
    samples = await scrape(s.url);
    expect(findSample(samples, 'wsmig_feature_flag_percentage', { name: 'USE_NEW_WS_SYNC' })?.value).toBe(100);
    expect(findSample(samples, 'wsmig_feature_flag', { name: 'USE_NEW_WS_SYNC' })?.value).toBe(1);
    expect(findSample(samples, 'wsmig_flag_evaluations_total', { name: 'USE_NEW_WS_SYNC', transport: 'ws' })?.value).toBe(ws);
  });

  it('times the legacy SSE requests by endpoint, in the WebSocket requests\' buckets', async () => {
    const s = await start({ sync: { totalMessages: 3, batchSize: 1, batchDelayMs: 1 } });
    const ws = await RawClient.connect(s.wsUrl);
    await ws.request('sync:start', { chatId: 1 });
    ws.close();
    const posted = await readSse(`${s.url}/commands/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatId: 2 }) });
    expect(posted.events.at(-1)?.event).toBe('complete');
    expect((await readSse(`${s.url}/api/sync/3/events?start=1`)).events.at(-1)?.event).toBe('complete');
    const samples = await scrape(s.url);
    expect(findSample(samples, 'wsmig_sse_request_duration_seconds_count', { endpoint: '/commands/sync' })?.value).toBe(1);
    expect(findSample(samples, 'wsmig_sse_request_duration_seconds_count', { endpoint: '/api/sync/:chatId/events' })?.value).toBe(1);
    const bounds = (name: string, label: Record<string, string>) =>
      samples.filter((sample) => sample.name === name && Object.entries(label).every(([key, value]) => sample.labels[key] === value)).map((sample) => sample.labels['le']);
    const sseBounds = bounds('wsmig_sse_request_duration_seconds_bucket', { endpoint: '/commands/sync' });
    expect(sseBounds.length).toBeGreaterThan(5);
    expect(sseBounds).toEqual(bounds('wsmig_ws_request_duration_seconds_bucket', { type: 'sync:start' }));
    expect(findSample(samples, 'wsmig_sse_request_duration_seconds_bucket', { endpoint: '/commands/sync', le: '+Inf' })?.value).toBe(1);
  });
});

describe('the WebSocket side', () => {
  it('serves a client whose identity is outside the cohort: the flag picks the transport, the server serves both', async () => {
    const s = await start({ flag: { percentage: 10 }, sync: { totalMessages: 3, batchSize: 1, batchDelayMs: 1 } });
    const outside = IDS.find((id) => !inRollout(id, 'USE_NEW_WS_SYNC', 10)) as string;
    expect((await config(s.url, outside)).transport).toBe('sse');
    const client = await RawClient.connect(s.wsUrl);
    await client.request('subscribe', { channel: 'sync:5' }, 'sync:5');
    await client.request('sync:start', { chatId: 5 });
    expect((await client.next((message) => message.type === 'sync:complete')).payload).toMatchObject({ chatId: 5, processed: 3 });
    client.close();
  });
});
