/**
 * prepare's probe step: with `verify.ws` and `verify.sse` configured, the app's own streams must
 * carry their event over WebSocket (through the service) and over SSE before the baseline runs.
 * Without them there is nothing app-specific to probe: the demo service is exercised by the baseline.
 */
import { WsmigError } from '../../lib/errors.js';
import type { MigrationContext } from '../context.js';
import type { Step } from '../steps.js';
import type { ProbeResult } from './probe-result.js';
import { probeSse } from './sse-probe.js';
import { probeWs, type WsProbeTarget } from './ws-probe.js';

/** The WebSocket URL and token the WS probe uses: the app's endpoint, and the service's token when it has one (service.tokenEnv, service.tokenFile). */
export function wsProbeTarget(context: Pick<MigrationContext, 'config' | 'credentials'>): WsProbeTarget {
  const token = context.credentials.tokenOf('service');
  return { url: context.config.wsEndpoint.value, tokenHint: context.credentials.hint('service'), ...(token === undefined ? {} : { token }) };
}

/** One line per configured probe, for plans. */
export function describeProbes(context: Pick<MigrationContext, 'config'>): string[] {
  const { sse, ws } = context.config.verify;
  const lines: string[] = [];
  if (ws) lines.push(`subscribe to ${ws.channel} at ${context.config.wsEndpoint.value}; a "${ws.event}" event must arrive within ${ws.withinMs} ms`);
  if (sse) lines.push(`GET ${new URL(sse.url, context.config.service.baseUrl).href}; a "${sse.event}" event must arrive within ${sse.withinMs} ms`);
  return lines;
}

/** Runs the configured probes, WebSocket first, both even when one fails. */
export async function runConfiguredProbes(context: Pick<MigrationContext, 'config' | 'credentials'>): Promise<ProbeResult[]> {
  const { sse, ws } = context.config.verify;
  const results: ProbeResult[] = [];
  if (ws) results.push(await probeWs(ws, wsProbeTarget(context)));
  if (sse) results.push(await probeSse(sse, context.config.service.baseUrl, context.credentials));
  return results;
}

export function probesStep(phase: string): Step {
  return {
    id: `${phase}.probes`,
    title: 'Probe the app\'s streams (verify.ws, verify.sse)',
    describe: (context) => describeProbes(context),
    async check(context) {
      if (describeProbes(context).length === 0) return { done: true, detail: 'no verify.ws or verify.sse in wsmig.config.json: nothing app-specific to probe' };
      return { done: false, detail: 'probed on every run' };
    },
    async apply(context) {
      const results = await runConfiguredProbes(context);
      const failed = results.filter((result) => !result.ok);
      if (failed.length > 0) {
        throw new WsmigError('PROBE_FAILED', `${failed.map((result) => `${result.probe} probe: ${result.detail}`).join('; ')}. Fix what is named above (or the probe in wsmig.config.json's verify section, if it names the wrong stream or event), then rerun: finished steps are skipped.`, {
          details: { probes: results },
        });
      }
      return results.map((result) => `${result.probe}: ${result.detail} (${result.durationMs} ms)`).join('; ');
    },
  };
}
