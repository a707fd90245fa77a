import { describe, expect, it } from 'vitest';
import type { SseProbeConfig } from '../../../migration/config.js';
import { probeSse } from '../../../migration/probes/sse-probe.js';
import { freePort } from '../helpers/service.js';
import { startSseApp } from '../helpers/sse-app.js';

const probe = (url: string, fields: Partial<SseProbeConfig> = {}): SseProbeConfig => ({ url, event: 'message', withinMs: 5_000, ...fields });

describe('the SSE probe', () => {
  it('passes when the named event arrives; a path resolves against the service address', async () => {
    const app = await startSseApp();
    const result = await probeSse(probe('/api/news/stream', { event: 'news' }), app.url);
    expect(result).toMatchObject({ probe: 'sse', ok: true, status: 200, target: `${app.url}/api/news/stream`, event: 'news' });
    expect(result.failure).toBeUndefined();
  });

  it('takes an unnamed event as "message", and an absolute URL as it is', async () => {
    const app = await startSseApp();
    expect(await probeSse(probe(`${app.url}/api/feed`), 'http://127.0.0.1:9')).toMatchObject({ ok: true, target: `${app.url}/api/feed` });
  });

  it('sends the configured headers', async () => {
    const app = await startSseApp();
    expect(await probeSse(probe('/api/me/stream', { event: 'notice', headers: { cookie: 'session=ada' } }), app.url)).toMatchObject({ ok: true });
  });

  it('fails on an HTTP status, with the status and the body', async () => {
    const app = await startSseApp();
    const result = await probeSse(probe('/api/me/stream', { event: 'notice' }), app.url);
    expect(result).toMatchObject({ ok: false, failure: 'http-status', status: 401 });
    expect(result.detail).toContain('HTTP 401 (sign in first)');
    expect(result.detail).toContain('verify.sse.headers');
  });

  it('fails on an answer that is not an SSE stream, naming its content type', async () => {
    const app = await startSseApp();
    const result = await probeSse(probe('/page'), app.url);
    expect(result).toMatchObject({ ok: false, failure: 'not-sse', status: 200 });
    expect(result.detail).toContain('text/html, not text/event-stream');
  });

  it('fails when the event does not come in time, saying what came instead', async () => {
    const app = await startSseApp();
    const result = await probeSse(probe('/api/quiet/stream', { event: 'news', withinMs: 300 }), app.url);
    expect(result).toMatchObject({ ok: false, failure: 'no-event' });
    expect(result.detail).toMatch(/no "news" event from .*\/api\/quiet\/stream within 300 ms \(saw only "tick" ×\d+\)/);
  });

  it('fails, without hanging, when the endpoint never answers', async () => {
    const app = await startSseApp();
    const result = await probeSse(probe('/api/silent', { withinMs: 200 }), app.url);
    expect(result).toMatchObject({ ok: false, failure: 'no-event' });
    expect(result.detail).toContain('no answer from');
  });

  it('fails when the stream ends without the event', async () => {
    const app = await startSseApp();
    const result = await probeSse(probe('/api/once', { event: 'news' }), app.url);
    expect(result).toMatchObject({ ok: false, failure: 'ended' });
    expect(result.detail).toContain('ended without a "news" event (saw only "tick" ×1)');
  });

  it('fails when nothing listens, saying the app is unreachable', async () => {
    const port = await freePort();
    const result = await probeSse(probe('/api/news/stream', { event: 'news' }), `http://127.0.0.1:${port}`);
    expect(result).toMatchObject({ ok: false, failure: 'unreachable' });
    expect(result.detail).toContain('ECONNREFUSED');
  });
});
