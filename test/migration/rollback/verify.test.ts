import { describe, expect, it } from 'vitest';
import { describeSsePath, verifyLegacyTransport } from '../../../migration/rollback/verify.js';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { removedAfterEachTest } from '../../helpers/temp-dir.js';
import { startSseApp } from '../helpers/sse-app.js';
import { baseConfig, contextFor, createRepo } from '../helpers/temp-repo.js';

const servers = serversPerTest({ flag: { value: false } });

describe("rollback's verification with verify.sse", () => {
  const removeLater = removedAfterEachTest();

  async function setup(sse: Record<string, unknown>) {
    const app = await startSseApp();
    const service = await servers.start();
    const config = baseConfig({ service: { command: ['node', 'server.js'], baseUrl: service.url }, verify: { sse: { ...sse, url: `${app.url}${String(sse.url)}` } } });
    return contextFor(removeLater(await createRepo({ config })));
  }

  it('checks the legacy path with the SSE probe instead of the demo sync', async () => {
    const context = await setup({ url: '/api/news/stream', event: 'news' });
    expect(describeSsePath(context)).toMatch(/^that a "news" event arrives on GET http:\/\/127\.0\.0\.1:\d+\/api\/news\/stream within 10000 ms$/);
    const verification = await verifyLegacyTransport(context);
    expect(verification.checks.map((check) => [check.name, check.ok])).toEqual([['health', true], ['transport', true], ['sse-probe', true]]);
    expect(verification.healthy).toBe(true);
  });

  it('is not verified when the legacy stream refuses, and says why', async () => {
    const context = await setup({ url: '/api/me/stream', event: 'notice' });
    const verification = await verifyLegacyTransport(context);
    expect(verification.healthy).toBe(false);
    expect(verification.checks.at(-1)).toMatchObject({ name: 'sse-probe', ok: false, detail: expect.stringContaining('HTTP 401 (sign in first)') });
  });
});
