import { describe, expect, it } from 'vitest';
import type { WsProbeConfig } from '../../../migration/config.js';
import { probeWs } from '../../../migration/probes/ws-probe.js';
import { gatewaysPerTest } from '../../helpers/gateways.js';
import { freePort } from '../helpers/service.js';
import { startSseApp } from '../helpers/sse-app.js';

const start = gatewaysPerTest();
const probe = (channel: string, fields: Partial<WsProbeConfig> = {}): WsProbeConfig => ({ channel, event: 'message', withinMs: 5_000, ...fields });

describe('the WebSocket probe', () => {
  it('passes when the bridge relays the named event of the legacy stream', async () => {
    const app = await startSseApp();
    const gateway = await start({ upstream: app.url });
    const result = await probeWs(probe('sse:/api/news/stream', { event: 'news' }), { url: gateway.url });
    expect(result).toMatchObject({ probe: 'ws', ok: true, event: 'news', target: `sse:/api/news/stream at ${gateway.url}` });
  });

  it('sends the configured headers upstream with the subscribe', async () => {
    const app = await startSseApp();
    const gateway = await start({ upstream: app.url });
    expect(await probeWs(probe('sse:/api/me/stream', { event: 'notice', headers: { cookie: 'session=ada' } }), { url: gateway.url })).toMatchObject({ ok: true });
  });

  it('passes on a channel the app publishes itself', async () => {
    const gateway = await start({ channels: ['news'] });
    const timer = setInterval(() => void gateway.publish('news', 'headline', { title: 'hi' }), 20);
    try {
      expect(await probeWs(probe('news', { event: 'headline' }), { url: gateway.url })).toMatchObject({ ok: true });
    } finally {
      clearInterval(timer);
    }
  });

  it('sends the token the service wants', async () => {
    const app = await startSseApp();
    const gateway = await start({ upstream: app.url, token: 's3cret' });
    expect(await probeWs(probe('sse:/api/feed'), { url: gateway.url, token: 's3cret' })).toMatchObject({ ok: true });
    const refused = await probeWs(probe('sse:/api/feed'), { url: gateway.url });
    expect(refused).toMatchObject({ ok: false, failure: 'unreachable' });
    expect(refused.detail).toContain('401');
    expect(refused.detail).toContain('WSMIG_TOKEN');
  });

  it('reports the upstream refusing the stream as the subscribe error, with its status', async () => {
    const app = await startSseApp();
    const gateway = await start({ upstream: app.url });
    const result = await probeWs(probe('sse:/api/me/stream', { event: 'notice' }), { url: gateway.url });
    expect(result).toMatchObject({ ok: false, failure: 'refused', code: 'UPSTREAM_STATUS', status: 401 });
    expect(result.detail).toContain('HTTP 401');
  });

  it('reports a channel the gateway does not route as NO_ROUTE', async () => {
    const app = await startSseApp();
    const gateway = await start({ upstream: app.url });
    expect(await probeWs(probe('news'), { url: gateway.url })).toMatchObject({ ok: false, failure: 'refused', code: 'NO_ROUTE' });
  });

  it('reports a legacy endpoint that is not SSE as UPSTREAM_NOT_SSE', async () => {
    const app = await startSseApp();
    const gateway = await start({ upstream: app.url });
    expect(await probeWs(probe('sse:/page'), { url: gateway.url })).toMatchObject({ ok: false, failure: 'refused', code: 'UPSTREAM_NOT_SSE' });
  });

  it('fails when the event does not come in time, saying what came instead', async () => {
    const app = await startSseApp();
    const gateway = await start({ upstream: app.url });
    const result = await probeWs(probe('sse:/api/quiet/stream', { event: 'news', withinMs: 400 }), { url: gateway.url });
    expect(result).toMatchObject({ ok: false, failure: 'no-event' });
    expect(result.detail).toMatch(/no "news" event within 400 ms \(saw only "tick" ×\d+\)/);
  });

  it('fails when nothing listens at the WebSocket URL', async () => {
    const port = await freePort();
    const result = await probeWs(probe('sse:/api/feed'), { url: `ws://127.0.0.1:${port}/ws` });
    expect(result).toMatchObject({ ok: false, failure: 'unreachable' });
    expect(result.detail).toContain('ECONNREFUSED');
  });
});
