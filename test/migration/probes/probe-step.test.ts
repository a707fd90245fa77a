import { describe, expect, it } from 'vitest';
import { probesStep } from '../../../migration/probes/probe-step.js';
import { prepareSteps } from '../../../migration/phases/prepare.js';
import { planSteps, runSteps } from '../../../migration/steps.js';
import { gatewaysPerTest } from '../../helpers/gateways.js';
import { removedAfterEachTest } from '../../helpers/temp-dir.js';
import { startSseApp } from '../helpers/sse-app.js';
import { baseConfig, contextFor, createRepo } from '../helpers/temp-repo.js';

const start = gatewaysPerTest();

describe("prepare's probe step", () => {
  const removeLater = removedAfterEachTest();

  /** A repository whose service is a gateway bridging the legacy app, with `verify` as given. */
  async function setup(verify: Record<string, unknown> | undefined, gatewayToken?: string) {
    const app = await startSseApp();
    const gateway = await start({ upstream: app.url, ...(gatewayToken ? { token: gatewayToken } : {}) });
    const config = baseConfig({
      service: { command: ['node', 'server.js'], baseUrl: app.url, ...(gatewayToken ? { env: { WSMIG_TOKEN: gatewayToken } } : {}) },
      wsEndpoint: { value: gateway.url },
      ...(verify ? { verify } : {}),
    });
    return contextFor(removeLater(await createRepo({ config })));
  }

  it('runs right after the service step of prepare', () => {
    const ids = prepareSteps({ start: true }).map((step) => step.id);
    expect(ids.slice(ids.indexOf('prepare.service'), ids.indexOf('prepare.service') + 2)).toEqual(['prepare.service', 'prepare.probes']);
  });

  it('has nothing to do without verify.ws or verify.sse (the demo service keeps its default checks)', async () => {
    const context = await setup(undefined);
    expect(await planSteps(context, [probesStep('prepare')])).toMatchObject([{ status: 'skipped', detail: expect.stringContaining('nothing app-specific to probe') }]);
  });

  it('passes when the event arrives over WebSocket through the bridge and over SSE, sending the service token', async () => {
    const context = await setup({ ws: { channel: 'sse:/api/news/stream', event: 'news' }, sse: { url: '/api/news/stream', event: 'news' } }, 's3cret');
    const [planned] = await planSteps(context, [probesStep('prepare')]);
    expect(planned).toMatchObject({ status: 'would-apply', changes: [expect.stringContaining('subscribe to sse:/api/news/stream'), expect.stringContaining('/api/news/stream; a "news" event must arrive within 10000 ms')] });
    const result = await runSteps(context, [probesStep('prepare')], { command: 'prepare', dryRun: false });
    expect(result.error).toBeUndefined();
    expect(result.outcomes[0]?.detail).toMatch(/^ws: .*"news" event arrived.*; sse: .*"news" event arrived/);
  });

  it('fails with PROBE_FAILED naming each failed probe, and journals it', async () => {
    const context = await setup({ ws: { channel: 'sse:/api/me/stream', event: 'notice' }, sse: { url: '/page' } });
    const result = await runSteps(context, [probesStep('prepare')], { command: 'prepare', dryRun: false });
    expect(result.error).toMatchObject({ code: 'PROBE_FAILED', exitCode: 1 });
    expect(result.error?.message).toContain('ws probe: the gateway at');
    expect(result.error?.message).toContain('UPSTREAM_STATUS');
    expect(result.error?.message).toContain('sse probe: GET');
    expect(result.error?.message).toContain('not text/event-stream');
    expect((await context.journal.read()).map((entry) => entry.event)).toEqual(['step-start', 'step-fail']);
  });
});
