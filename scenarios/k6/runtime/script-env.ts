/**
 * What every script reads from its environment besides the knobs: the target, the credentials,
 * the thresholds file, and the protocol profile embedded by the export. Runs in k6's init context
 * (`open()` is only allowed there).
 */
import { profileGapsOf } from '../../profiles/coverage.js';
import type { ProtocolProfile } from '../../profiles/schema.js';
import { httpOriginOf } from '../lib/target-url.js';
import { thresholdsForK6, type K6Threshold } from '../lib/thresholds.js';
import { recordedMetricsOf, type WsWorkloadPlan } from '../lib/workload-plan.js';

/** Where the load goes. */
export interface Target {
  /** WebSocket URL, e.g. ws://localhost:3000/ws (WSMIG_TARGET). */
  wsUrl: string;
  /** HTTP base URL of the same server, e.g. http://localhost:3000 (WSMIG_HTTP, else derived from the WebSocket URL). */
  httpUrl: string;
  /** Headers for the upgrade: `Authorization: Bearer <WSMIG_TOKEN>` when the server wants a token. */
  wsHeaders: Record<string, string>;
  /** Headers for /admin/*: `Authorization: Bearer <WSMIG_ADMIN_TOKEN>` when the server has an admin token. */
  adminHeaders: Record<string, string>;
}

/** The target; without WSMIG_TARGET, the profile's `connect.url`, else the seed's endpoint. */
export function targetFromEnv(profile: ProtocolProfile | undefined): Target {
  const wsUrl = __ENV['WSMIG_TARGET'] || profile?.connect?.url || 'ws://localhost:3000/ws';
  const httpUrl = (__ENV['WSMIG_HTTP'] || httpOriginOf(wsUrl)).replace(/\/+$/, '');
  const token = __ENV['WSMIG_TOKEN'];
  const adminToken = __ENV['WSMIG_ADMIN_TOKEN'];
  return {
    wsUrl,
    httpUrl,
    wsHeaders: token ? { Authorization: `Bearer ${token}` } : {},
    adminHeaders: adminToken ? { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' } : { 'Content-Type': 'application/json' },
  };
}

/**
 * The thresholds k6 evaluates for this run, from the JSON file named by WSMIG_THRESHOLDS (none
 * without it). What k6 cannot evaluate here is left out and said once, on the init that reads the options.
 */
export function thresholdsFromEnv(scenario: string, plan: WsWorkloadPlan, profile: ProtocolProfile | undefined): Record<string, K6Threshold[]> {
  const file = __ENV['WSMIG_THRESHOLDS'];
  if (!file) return {};
  let document: unknown;
  try {
    document = JSON.parse(open(file));
  } catch (error) {
    throw new Error(`WSMIG_THRESHOLDS="${file}": cannot read it as JSON (${String(error)}). wsmig writes a JSON copy of YAML thresholds for k6.`);
  }
  const converted = thresholdsForK6(document, recordedMetricsOf(plan, profile), file, scenario);
  if (__VU === 0) converted.notes.forEach((note) => console.warn(`wsmig thresholds: ${note}`));
  return converted.thresholds;
}

/**
 * The protocol profile embedded at the top of an exported script, or undefined (wsmig's envelope).
 * What it cannot measure is said once, on the init that reads the options.
 */
export function embeddedProfile(plan: WsWorkloadPlan): ProtocolProfile | undefined {
  const profile = typeof WSMIG_PROFILE === 'undefined' ? undefined : WSMIG_PROFILE;
  if (profile !== undefined && __VU === 0) profileGapsOf(profile, plan).forEach((gap) => console.warn(`wsmig: ${gap}`));
  return profile;
}
