/**
 * Finds, reads and validates a protocol profile: a built-in name (`wsmig`, `json-rpc`,
 * `graphql-ws`, `type-data`) or a JSON/YAML file, which may `extends` another profile and override
 * its fields. Profile variables (`{{var:name}}`, declared under `vars`, set with `--profile-var`)
 * are substituted before validation. Every problem is a UsageError (exit 2) naming the file and field.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { UsageError, messageOf } from '../../lib/errors.js';
import { PACKAGE_ROOT } from '../../lib/package-info.js';
import { closestNames } from '../thresholds/did-you-mean.js';
import { profileSchema, WSMIG_PROFILE_NAME, type ProtocolProfile } from './schema.js';
import { checkTemplate, TemplateError } from './template.js';

/** Profiles that come with wsmig, by name. */
export const BUILTIN_PROFILES = ['wsmig', 'json-rpc', 'graphql-ws', 'type-data'] as const;

/** A profile ready to run. */
export interface LoadedProfile {
  profile: ProtocolProfile;
  /** Where it came from: `built-in json-rpc`, or the file's path. */
  source: string;
  /**
   * True for the built-in `wsmig` profile as it is: the native engine runs it with its own full
   * client (resume from fromSeq/epoch, resync, drain, syncs), which a profile's data cannot describe.
   */
  envelope: boolean;
}

export interface LoadProfileOptions {
  /** Values for the profile's variables (`--profile-var name=value`). */
  vars?: Readonly<Record<string, string>>;
  /** Where a relative file name is looked up (default: the process's cwd). */
  cwd?: string;
}

const MAX_EXTENDS = 8;
const VAR = /\{\{\s*var:([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const WHOLE_VAR = /^\{\{\s*var:([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

function builtinFile(name: string): string | undefined {
  for (const extension of ['json', 'yaml']) {
    const file = path.join(PACKAGE_ROOT, 'scenarios', 'profiles', 'builtin', `${name}.${extension}`);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/**
 * Loads a profile by built-in name or file.
 * @throws UsageError PROFILE_NOT_FOUND, PROFILE_UNREADABLE or PROFILE_INVALID, naming the field.
 */
export async function loadProfile(spec: string, options: LoadProfileOptions = {}): Promise<LoadedProfile> {
  const cwd = options.cwd ?? process.cwd();
  const raw = await readLayers(spec, cwd, [], 0);
  const source = raw.source;
  const vars = resolveVars(raw.vars, options.vars ?? {}, source);
  const substituted = substituteVars(raw.body, vars, source, []);
  const parsed = profileSchema.safeParse(substituted);
  if (!parsed.success) throw invalid(source, issuesText(parsed.error));
  const profile = parsed.data;
  checkTemplates(profile, source);
  const isBuiltinWsmig = raw.builtinName === WSMIG_PROFILE_NAME && raw.layers === 1;
  if (!isBuiltinWsmig && profile.name === WSMIG_PROFILE_NAME) {
    throw invalid(source, `name: "${WSMIG_PROFILE_NAME}" is the built-in profile's name; give your profile its own name`);
  }
  return { profile, source, envelope: isBuiltinWsmig };
}

interface RawLayers {
  body: Record<string, unknown>;
  vars: Record<string, string | null>;
  source: string;
  /** The built-in's name when the spec named one. */
  builtinName: string | undefined;
  layers: number;
}

async function readLayers(spec: string, cwd: string, chain: string[], depth: number): Promise<RawLayers> {
  const isBuiltin = (BUILTIN_PROFILES as readonly string[]).includes(spec);
  const file = isBuiltin ? (builtinFile(spec) as string) : path.resolve(cwd, spec);
  const source = isBuiltin ? `built-in profile ${spec}` : file;
  if (!isBuiltin && !existsSync(file)) {
    const [closest] = closestNames(spec, [...BUILTIN_PROFILES]);
    const looksLikeName = !/[/\\.]/.test(spec);
    throw new UsageError(
      'PROFILE_NOT_FOUND',
      looksLikeName
        ? `Unknown profile "${spec}"${closest ? ` (did you mean "${closest}"?)` : ''}: give a built-in profile (${BUILTIN_PROFILES.join(', ')}) or the path of a JSON or YAML profile file.`
        : `Profile file ${file} does not exist: give the path of a JSON or YAML profile file, or a built-in profile (${BUILTIN_PROFILES.join(', ')}).`,
    );
  }
  if (chain.includes(file)) throw invalid(source, `extends: it extends itself (${[...chain, file].join(' → ')})`);
  if (depth >= MAX_EXTENDS) throw invalid(source, `extends: more than ${MAX_EXTENDS} profiles deep`);
  const value = await parseFile(file, source);
  const { extends: base, vars, ...body } = value;
  const ownVars = checkVarsField(vars, source);
  if (base === undefined) return { body, vars: ownVars, source, builtinName: isBuiltin ? spec : undefined, layers: 1 };
  if (typeof base !== 'string' || base.length === 0) throw invalid(source, 'extends: give a built-in profile name or the path of a profile file, relative to this one');
  const parent = await readLayers(base, path.dirname(file), [...chain, file], depth + 1);
  return {
    body: mergeProfiles(parent.body, body),
    vars: { ...parent.vars, ...ownVars },
    source,
    builtinName: undefined,
    layers: parent.layers + 1,
  };
}

async function parseFile(file: string, source: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError('PROFILE_UNREADABLE', `Cannot read the profile ${source} (${messageOf(error)}): give a readable JSON or YAML file.`, { cause: error });
  }
  let value: unknown;
  try {
    value = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw invalid(source, `it is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} (${messageOf(error).split('\n')[0] ?? ''})`, error);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(source, 'a profile is an object (name, request, subscribe, events, …)');
  return value as Record<string, unknown>;
}

function checkVarsField(vars: unknown, source: string): Record<string, string | null> {
  if (vars === undefined) return {};
  if (vars === null || typeof vars !== 'object' || Array.isArray(vars)) throw invalid(source, 'vars: an object of variable names to default values (a string, or null for none)');
  const checked: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(vars)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(source, `vars.${name}: a variable name is letters, digits and "_"`);
    if (value !== null && typeof value !== 'string' && typeof value !== 'number') throw invalid(source, `vars.${name}: a default is a string (or null for none)`);
    checked[name] = value === null ? null : String(value);
  }
  return checked;
}

/** A child profile over its base: objects merge key by key, anything else replaces; `null` removes the base's field. */
export function mergeProfiles(base: Record<string, unknown>, child: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(child)) {
    const under = merged[key];
    if (value === null) delete merged[key];
    else if (isPlainObject(value) && isPlainObject(under)) merged[key] = mergeProfiles(under, value);
    else merged[key] = value;
  }
  return merged;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function resolveVars(declared: Record<string, string | null>, given: Readonly<Record<string, string>>, source: string): Record<string, string | null> {
  const names = Object.keys(declared);
  for (const name of Object.keys(given)) {
    if (!(name in declared)) {
      throw new UsageError(
        'PROFILE_VAR_UNKNOWN',
        `--profile-var ${name}: the ${source} has no variable "${name}"; ${names.length > 0 ? `its variables are ${names.join(', ')}` : 'it declares none (vars)'}.`,
      );
    }
  }
  return { ...declared, ...given };
}

/**
 * Replaces `{{var:name}}` everywhere. A field that is only a variable without a value is left out
 * (an optional path, say); a variable without a value inside a message template, or inside a longer
 * string, is an error saying which `--profile-var` to give.
 */
function substituteVars(value: unknown, vars: Record<string, string | null>, source: string, at: string[]): unknown {
  if (typeof value === 'string') {
    const inTemplate = isTemplateField(at);
    return value.replace(VAR, (_, name: string) => {
      if (!(name in vars)) throw invalid(source, `${fieldName(at)}: {{var:${name}}} is not declared under vars`);
      const text = vars[name];
      if (text === null || text === undefined) {
        throw invalid(source, `${fieldName(at)}: the variable "${name}" has no value${inTemplate ? ' and this message needs it' : ''}: give it with --profile-var ${name}=…`);
      }
      return text;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteVars(item, vars, source, [...at, String(i)]));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const whole = typeof item === 'string' ? WHOLE_VAR.exec(item) : null;
      const field = [...at, key];
      if (key === 'description' && at.length === 0) {
        // Prose: it may name the variables it uses.
        out[key] = item;
        continue;
      }
      if (whole && !isTemplateField(field) && (whole[1] as string) in vars && vars[whole[1] as string] === null) continue;
      out[key] = substituteVars(item, vars, source, field);
    }
    return out;
  }
  return value;
}

/** Inside a message template (`…send`, `sse.body`)? */
function isTemplateField(at: readonly string[]): boolean {
  return at.includes('send') || (at[0] === 'sse' && at[1] === 'body');
}

function checkTemplates(profile: ProtocolProfile, source: string): void {
  const templates: [string, unknown][] = [
    ['handshake.send', profile.handshake?.send],
    ['request.send', profile.request?.send],
    ['subscribe.send', profile.subscribe?.send],
    ['subscribe.resume', profile.subscribe?.resume],
    ['unsubscribe.send', profile.unsubscribe?.send],
    ['close.send', profile.close?.send],
    ['sse.body', profile.sse?.body],
    ...(profile.autoReplies ?? []).map((reply, i): [string, unknown] => [`autoReplies.${i}.send`, reply.send]),
  ];
  for (const [field, template] of templates) {
    if (template === undefined) continue;
    try {
      checkTemplate(template);
    } catch (error) {
      if (error instanceof TemplateError) throw invalid(source, `${field}: ${error.message}`);
      throw error;
    }
  }
  const uses = (template: unknown, name: string): boolean => new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`).test(JSON.stringify(template) ?? '');
  const usesId = (template: unknown): boolean => uses(template, 'id');
  for (const [field, template] of templates) {
    if (field !== 'subscribe.resume' && template !== undefined && uses(template, 'lastSeq')) {
      throw invalid(source, `${field}: {{lastSeq}} belongs in subscribe.resume only (the subscribe a connection sends when it comes back after a cut)`);
    }
  }
  if (profile.subscribe?.resume !== undefined && !uses(profile.subscribe.resume, 'lastSeq')) {
    throw invalid(source, 'subscribe.resume: it must carry {{lastSeq}}, the sequence number of the last event received, for the service to replay what came after');
  }
  if (profile.request?.reply.idPath !== undefined && !usesId(profile.request.send)) {
    throw invalid(source, 'request.reply.idPath: the reply is recognised by the request id, so request.send must carry {{id}}');
  }
  if (profile.subscribe?.ack?.idPath !== undefined && !usesId(profile.subscribe.send)) {
    throw invalid(source, 'subscribe.ack.idPath: the ack is recognised by the subscribe id, so subscribe.send must carry {{id}}');
  }
  if (profile.subscribe?.ack?.idPath !== undefined && profile.subscribe.resume !== undefined && !usesId(profile.subscribe.resume)) {
    throw invalid(source, 'subscribe.ack.idPath: the ack is recognised by the subscribe id, so subscribe.resume must carry {{id}} too');
  }
}

function issuesText(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = fieldName(issue.path.map(String));
      return `${field === '' ? '(the profile)' : field}: ${issue.message}`;
    })
    .join('; ');
}

function fieldName(at: readonly string[]): string {
  return at.join('.');
}

function invalid(source: string, detail: string, cause?: unknown): UsageError {
  return new UsageError('PROFILE_INVALID', `Invalid protocol profile (${source}): ${detail}. See docs/load.md "Protocol profiles".`, cause === undefined ? {} : { cause });
}
