/**
 * A k6 script that speaks a protocol profile: the bundled scenario script with the profile
 * (validated, its variables resolved) written at its top as `var WSMIG_PROFILE = {…};`, which the
 * script reads at init (scenarios/k6/runtime/script-env.ts) and interprets with the native engine's
 * own profile code, bundled in. One file, so an export still fits a ConfigMap, and `k6 run` of it
 * needs no other file or variable to speak the profile.
 */
import { UsageError } from '../../../lib/errors.js';
import type { LoadedProfile } from '../../profiles/load-profile.js';
import { profileGapsOf } from '../../profiles/coverage.js';
import type { ProtocolProfile } from '../../profiles/schema.js';
import type { ScriptFile } from './script-files.js';

/** The variable the scripts read the embedded profile from (declared in scenarios/k6/globals.d.ts). */
export const EMBEDDED_PROFILE_VARIABLE = 'WSMIG_PROFILE';

/** Upgrade headers k6's WebSocket client (gorilla/websocket) sets itself and refuses from a script. */
const HEADERS_K6_SETS = ['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions'];

/** What k6 cannot do with a profile: the field, and why. */
export interface K6ProfileProblem {
  field: string;
  why: string;
}

/** The parts of `profile` a k6 script cannot express (none for a profile it can run). */
export function k6ProfileProblems(profile: ProtocolProfile): K6ProfileProblem[] {
  const problems: K6ProfileProblem[] = [];
  if (profile.request === undefined && profile.subscribe === undefined && profile.events === undefined) {
    problems.push({
      field: 'sse',
      why: 'this profile describes only a Server-Sent Events endpoint, and k6 has no SSE client without the xk6-sse extension; run sse-stream on the native engine',
    });
  }
  const headers = profile.connect?.headers ?? {};
  for (const name of Object.keys(headers)) {
    const lower = name.toLowerCase();
    if (HEADERS_K6_SETS.includes(lower)) {
      problems.push({ field: `connect.headers.${name}`, why: 'k6 sets this upgrade header itself and refuses a script\'s own (its connections would all fail)' });
    } else if (lower === 'sec-websocket-protocol' && profile.connect?.subprotocols !== undefined) {
      problems.push({ field: `connect.headers.${name}`, why: 'k6 sends connect.subprotocols as this header; give the subprotocols in one place' });
    }
  }
  return problems;
}

/**
 * Checks that a scenario's k6 script can speak `loaded` (wsmig's own profile always can).
 * @throws UsageError K6_PROFILE_UNSUPPORTED naming the field, PROFILE_UNSUPPORTED for sync-progress.
 */
export function assertK6CanSpeak(scenario: string, loaded: LoadedProfile): void {
  if (loaded.envelope) return;
  const name = loaded.profile.name;
  if (scenario === 'sync-progress') {
    throw new UsageError('PROFILE_UNSUPPORTED', `sync-progress drives wsmig's own sync:start and cannot run on the profile ${name}: export latency, reconnect-storm, soak or fan-out.`);
  }
  const problems = k6ProfileProblems(loaded.profile);
  if (problems.length > 0) {
    throw new UsageError(
      'K6_PROFILE_UNSUPPORTED',
      `The k6 script cannot speak the profile ${name} (${loaded.source}): ${problems.map((problem) => `${problem.field}: ${problem.why}`).join('; ')}. Change the profile, or run it on the native engine (drop --engine k6).`,
    );
  }
}

/** The script with the profile written at its top (unchanged for wsmig's own profile, which the scripts speak anyway). */
export function withEmbeddedProfile(script: ScriptFile, loaded: LoadedProfile): ScriptFile {
  if (loaded.envelope) return script;
  // U+2028/U+2029 are valid in JSON but end a line in older JavaScript engines: escape them.
  const json = JSON.stringify(loaded.profile).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  const header = [
    `// wsmig protocol profile "${loaded.profile.name}" (from ${loaded.source.replace(/[\r\n]/g, ' ')}), validated, variables resolved:`,
    `// this script speaks it. Change the profile and export again rather than editing it here.`,
    `var ${EMBEDDED_PROFILE_VARIABLE} = ${json};`,
    '',
  ].join('\n');
  return { name: script.name, content: `${header}${script.content}` };
}

/**
 * What a k6 run of the scenario on `loaded` will not measure (the NOT MEASURED notes), from its
 * resolved options (`rate` and `syncs`, 0 when the scenario has no such knob).
 */
export function k6ProfileNotes(loaded: LoadedProfile | undefined, options: Readonly<Record<string, number | string>>): string[] {
  if (loaded === undefined || loaded.envelope) return [];
  const numberOf = (key: string): number => (typeof options[key] === 'number' ? (options[key] as number) : 0);
  return profileGapsOf(loaded.profile, { ratePerSecond: numberOf('rate'), syncs: numberOf('syncs') });
}
