/**
 * What a load run does with a profile: which scenarios, engines and targets fit it, and each
 * workload with the profile's part in it (the WebSocket protocol, the SSE endpoint of sse-stream,
 * sse-baseline's request). The orchestrator (scenarios/load-run.ts) calls these two.
 */
import { UsageError } from '../../lib/errors.js';
import { assertK6CanSpeak } from '../engines/k6/profile-script.js';
import type { HttpRequestSpec, HttpWorkload, SseWorkload, WsWorkload } from '../engines/types.js';
import type { LoadedProfile } from './load-profile.js';
import type { SseProfile } from './schema.js';
import { compileTemplate } from './template.js';

export interface ProfileRunContext {
  profile: LoadedProfile | undefined;
  hasTarget: boolean;
  engine: string | undefined;
  /** No scenario was named: the pre-rollout check. */
  preRolloutCheck: boolean;
}

/**
 * A profile other than wsmig's envelope needs a target that speaks it, scenarios that do not drive
 * wsmig's own syncs, and on k6 a profile its scripts can express; sse-stream needs a profile's sse
 * endpoint, and sse-baseline one it can time.
 * @throws UsageError saying what to change.
 */
export function checkProfileFits(scenarios: readonly string[], run: ProfileRunContext): void {
  const loaded = run.profile;
  if (scenarios.includes('sse-stream') && loaded?.profile.sse === undefined) {
    throw new UsageError('PROFILE_UNSUPPORTED', `sse-stream streams the endpoint a profile's sse section names: give --profile with one (docs/load.md "Protocol profiles"${loaded === undefined ? '' : `; ${loaded.source} has none`}).`);
  }
  if (loaded?.profile.sse !== undefined && scenarios.includes('sse-baseline')) sseBaselineRequestsFor(loaded.profile.sse, loaded.profile.name);
  if (loaded === undefined || loaded.envelope) return;
  const name = loaded.profile.name;
  if (!run.hasTarget) {
    throw new UsageError('PROFILE_NEEDS_TARGET', `The profile ${name} describes another service's protocol, and the embedded server speaks only wsmig's: give --target ws://host:port/path (or connect.url in the profile).`);
  }
  if (scenarios.includes('sync-progress')) {
    throw new UsageError(
      'PROFILE_UNSUPPORTED',
      `${run.preRolloutCheck ? 'The pre-rollout check runs sync-progress, which' : 'sync-progress'} drives wsmig's own sync:start and cannot run on the profile ${name}: name the scenarios to run (latency, reconnect-storm, soak, fan-out).`,
    );
  }
  // k6 runs the profile embedded in its script: refuse what the script cannot express before looking for k6.
  if (run.engine === 'k6') for (const scenario of scenarios) assertK6CanSpeak(scenario, loaded);
  if (scenarios.includes('sse-baseline') && loaded.profile.sse === undefined) {
    throw new UsageError('PROFILE_UNSUPPORTED', `sse-baseline times the profile's sse endpoint, and the profile ${name} has no sse section (without one it would POST wsmig's own /commands/sync): add one, or drop sse-baseline.`);
  }
}

/**
 * The workload with the run's profile: WebSocket workloads (the envelope needs none), the SSE
 * endpoint of sse-stream, and sse-baseline's request when the profile names the team's own.
 */
export function withProfile<W extends WsWorkload | HttpWorkload | SseWorkload>(scenario: string, workload: W, loaded: LoadedProfile | undefined): W {
  if (loaded === undefined) return workload;
  if (workload.kind === 'http' && scenario === 'sse-baseline' && loaded.profile.sse !== undefined) {
    return { ...workload, requests: sseBaselineRequestsFor(loaded.profile.sse, loaded.profile.name) };
  }
  if (workload.kind === 'sse') return { ...workload, ...(loaded.profile.sse === undefined ? {} : { sse: loaded.profile.sse }), profileName: loaded.profile.name };
  if (workload.kind !== 'ws' || loaded.envelope) return workload;
  return { ...workload, profile: loaded.profile };
}

/**
 * sse-baseline on the team's own endpoint: the request of a profile's `sse` section, which must be
 * a POST stream (one that ends) on the target's host, with a JSON body if any.
 * @throws UsageError saying what sse-baseline needs, and that sse-stream covers the rest.
 */
export function sseBaselineRequestsFor(sse: SseProfile, profileName: string): HttpRequestSpec[] {
  const refuse = (why: string): never => {
    throw new UsageError('PROFILE_UNSUPPORTED', `sse-baseline cannot time the profile ${profileName}'s sse endpoint: ${why}; run sse-stream on it instead.`);
  };
  if (sse.method !== 'POST') refuse('it times POST streams to their end, and a GET stream does not end');
  if (!sse.url.startsWith('/')) refuse("autocannon requests paths on the target's host, and sse.url is a whole URL");
  if (typeof sse.body === 'string') refuse('its requests carry JSON, and sse.body is text');
  const body = sse.body === undefined ? undefined : compileTemplate(sse.body, { payloadBytes: 0 });
  return [{ method: 'POST', path: sse.url, ...(body === undefined ? {} : { body: (sequence: number) => JSON.parse(body.render({ id: sequence, seq: sequence, vu: 0 })) as unknown }) }];
}
