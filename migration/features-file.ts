/**
 * The features module (`config/features.ts`): created by prepare when absent, verified when present,
 * and its default flipped when it hard-codes one. Read with a real parser (jscodeshift's, chosen by
 * extension as the codemods choose it, through recast so an edit keeps the rest of the file as it
 * was), never with a regex.
 */
import { promises as fs } from 'node:fs';
import jscodeshift from 'jscodeshift';
import type { ObjectExpression, ObjectProperty, Property } from 'jscodeshift';
import { parserForFile } from '../codemods/lib/source-blocks.js';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { WsmigError, messageOf } from '../lib/errors.js';

/** How the features module decides the flag. */
export type FlagForm =
  /** `process.env.FLAG === 'true'`: the env decides, off by default (the seed's form). */
  | { kind: 'env-opt-in' }
  /** `process.env.FLAG !== 'false'`: the env decides, on by default. */
  | { kind: 'env-opt-out' }
  /**
   * `process.env.FLAG === 'true' || /^\d+%$/.test(process.env.FLAG ?? '')`: the env decides, off by
   * default, and a rollout percentage (`25%`) turns the new code path on — the wsmig client then
   * picks WebSocket or SSE per user from the service's `/api/config`.
   */
  | { kind: 'env-rollout' }
  /** `true` / `false` hard-coded. */
  | { kind: 'literal'; value: boolean };

export interface FeaturesFileInfo {
  file: string;
  form: FlagForm;
  /** 1-based line of the flag's property. */
  line: number;
}

/** The text prepare writes when the module does not exist (the seed's §3.1 step 2, reading rollout percentages too). */
export function featuresFileText(key: string, envName: string): string {
  return [
    `// Feature flags. wsmig sets ${envName} in the env file; this module reads it. "true" turns the`,
    '// WebSocket code path on; a rollout percentage ("25%") turns it on too, and the wsmig client then',
    '// picks WebSocket or SSE per user from the service (/api/config).',
    'export const features = {',
    `  ${key}: ${rolloutExpression(envName)},`,
    '}',
    '',
  ].join('\n');
}

function rolloutExpression(envName: string): string {
  return `process.env.${envName} === 'true' || /^\\d+%$/.test(process.env.${envName} ?? '')`;
}

function unexpected(file: string, line: number | undefined, what: string, key: string, envName: string): WsmigError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new WsmigError(
    'FEATURES_FILE_UNEXPECTED',
    `${where}: ${what}. wsmig expects \`export const features = { ${key}: process.env.${envName} === 'true', … }\` (optionally \`|| /^\\d+%$/.test(process.env.${envName} ?? '')\` for rollout percentages, or a true/false literal for ${key}). Change the file to that shape, or point flag.featuresFile/flag.featuresKey in wsmig.config.json at the right module; nothing was changed.`,
  );
}

interface Located {
  property: ObjectProperty | Property;
  form: FlagForm;
  line: number;
}

function locate(text: string, file: string, key: string, envName: string): { root: ReturnType<ReturnType<typeof jscodeshift.withParser>>; located: Located } {
  const j = jscodeshift.withParser(parserForFile(file) ?? 'babylon');
  let root: ReturnType<typeof j>;
  try {
    root = j(text);
  } catch (error) {
    throw new WsmigError('FEATURES_FILE_UNPARSABLE', `${file} cannot be parsed (${messageOf(error)}). Fix its syntax first; nothing was changed.`, { cause: error });
  }
  const declarators = root
    .find(j.ExportNamedDeclaration)
    .find(j.VariableDeclarator, { id: { type: 'Identifier', name: 'features' } });
  if (declarators.length === 0) throw unexpected(file, undefined, 'it does not export a `features` constant', key, envName);
  let init = declarators.get('init').value as { type: string; expression?: unknown } | null;
  while (init && (init.type === 'TSAsExpression' || init.type === 'TSSatisfiesExpression' || init.type === 'TSTypeAssertion' || init.type === 'ParenthesizedExpression')) {
    init = init.expression as typeof init;
  }
  const declLine = (declarators.get().value as { loc?: { start: { line: number } } }).loc?.start.line;
  if (!init || init.type !== 'ObjectExpression') throw unexpected(file, declLine, '`features` is not an object literal', key, envName);
  const object = init as unknown as ObjectExpression;
  const matches = object.properties.filter((candidate): candidate is ObjectProperty | Property => (candidate.type === 'ObjectProperty' || candidate.type === 'Property') && propertyName(candidate) === key);
  if (matches.length === 0) throw unexpected(file, declLine, `\`features\` has no \`${key}\` property`, key, envName);
  if (matches.length > 1) throw unexpected(file, declLine, `\`features\` defines \`${key}\` more than once`, key, envName);
  const property = matches[0] as ObjectProperty | Property;
  const line = (property as { loc?: { start: { line: number } } }).loc?.start.line ?? declLine ?? 1;
  const form = formOf(property.value, envName);
  if (!form) throw unexpected(file, line, `\`${key}\` is neither \`process.env.${envName} === 'true'\`, \`process.env.${envName} !== 'false'\` nor a boolean literal`, key, envName);
  return { root, located: { property, form, line } };
}

function propertyName(node: ObjectProperty | Property): string | undefined {
  if (node.computed) return node.key.type === 'StringLiteral' || node.key.type === 'Literal' ? String((node.key as { value: unknown }).value) : undefined;
  if (node.key.type === 'Identifier') return node.key.name;
  if (node.key.type === 'StringLiteral' || node.key.type === 'Literal') return String((node.key as { value: unknown }).value);
  return undefined;
}

function formOf(value: unknown, envName: string): FlagForm | undefined {
  const node = value as { type: string; value?: unknown; operator?: string; left?: unknown; right?: unknown };
  if ((node.type === 'BooleanLiteral' || node.type === 'Literal') && typeof node.value === 'boolean') return { kind: 'literal', value: node.value };
  if (node.type === 'LogicalExpression' && node.operator === '||' && formOf(node.left, envName)?.kind === 'env-opt-in' && isPercentageTest(node.right, envName)) return { kind: 'env-rollout' };
  if (node.type !== 'BinaryExpression') return undefined;
  const sides = [node.left, node.right];
  const envSide = sides.find((side) => isEnvRead(side, envName));
  const stringSide = sides.find((side) => side !== envSide && isStringLiteral(side));
  if (!envSide || !stringSide) return undefined;
  const text = (stringSide as { value: string }).value;
  if ((node.operator === '===' || node.operator === '==') && text === 'true') return { kind: 'env-opt-in' };
  if ((node.operator === '!==' || node.operator === '!=') && text === 'false') return { kind: 'env-opt-out' };
  return undefined;
}

/** `/…%…/.test(process.env.NAME ?? '')` (or of `process.env.NAME`): a rollout percentage read from the env. */
function isPercentageTest(node: unknown, envName: string): boolean {
  const call = node as { type: string; callee?: { type: string; object?: { type: string; regex?: { pattern: string }; pattern?: string }; property?: { name?: string } }; arguments?: unknown[] };
  if (call.type !== 'CallExpression' || call.callee?.type !== 'MemberExpression' || call.callee.property?.name !== 'test') return false;
  const regex = call.callee.object;
  const pattern = regex?.type === 'RegExpLiteral' ? regex.pattern : regex?.type === 'Literal' ? regex.regex?.pattern : undefined;
  if (pattern === undefined || !pattern.includes('%')) return false;
  const argument = call.arguments?.[0] as { type: string; operator?: string; left?: unknown } | undefined;
  if (argument === undefined || call.arguments?.length !== 1) return false;
  return isEnvRead(argument, envName) || (argument.type === 'LogicalExpression' && argument.operator === '??' && isEnvRead(argument.left, envName));
}

function isStringLiteral(node: unknown): boolean {
  const n = node as { type: string; value?: unknown };
  return (n.type === 'StringLiteral' || n.type === 'Literal') && typeof n.value === 'string';
}

/** `process.env.NAME` or `process.env['NAME']`. */
function isEnvRead(node: unknown, envName: string): boolean {
  const n = node as { type: string; object?: unknown; property?: unknown; computed?: boolean };
  if (n.type !== 'MemberExpression' && n.type !== 'OptionalMemberExpression') return false;
  const property = n.property as { type: string; name?: string; value?: unknown };
  const name = n.computed ? (isStringLiteral(property) ? (property.value as string) : undefined) : property.name;
  if (name !== envName) return false;
  const env = n.object as { type: string; object?: { type: string; name?: string }; property?: { type: string; name?: string }; computed?: boolean };
  return (env.type === 'MemberExpression' || env.type === 'OptionalMemberExpression') && !env.computed && env.object?.type === 'Identifier' && env.object.name === 'process' && env.property?.name === 'env';
}

/** Reads the features module: undefined when the file does not exist; throws when its shape is unexpected. */
export async function inspectFeaturesFile(file: string, key: string, envName: string): Promise<FeaturesFileInfo | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new WsmigError('FEATURES_FILE_UNREADABLE', `Cannot read ${file}: ${messageOf(error)}.`, { cause: error });
  }
  const { located } = locate(text, file, key, envName);
  return { file, form: located.form, line: located.line };
}

/**
 * The features-module text for a rollout at `percentage` (0 to 100), or undefined when nothing
 * needs to change. The module says whether the WebSocket code path is on; at a partial rollout it
 * must be on, and the wsmig client picks the transport per user. So: a literal becomes
 * `percentage > 0`; the seed's opt-in form (`=== 'true'`) learns to read a percentage when a partial
 * rollout needs it; the opt-out form becomes the opt-in one when turning the flag off (so an unset
 * env var means off); otherwise the env decides.
 */
export function withFlagDefault(text: string, file: string, key: string, envName: string, percentage: number): string | undefined {
  const { root, located } = locate(text, file, key, envName);
  const j = jscodeshift;
  const { form, property } = located;
  const on = percentage > 0;
  if (form.kind === 'literal') {
    if (form.value === on) return undefined;
    property.value = j.booleanLiteral(on);
    return root.toSource();
  }
  if (form.kind === 'env-opt-out' && !on) {
    property.value = optIn(envName);
    return root.toSource({ quote: 'single' });
  }
  if (form.kind === 'env-opt-in' && percentage > 0 && percentage < 100) {
    // Parsed from its text (the same as prepare writes): recast prints a parsed regular expression as written.
    const parsed = jscodeshift.withParser('babylon')(`flag = ${rolloutExpression(envName)};`);
    property.value = parsed.find(j.AssignmentExpression).paths()[0]?.value.right as typeof property.value;
    return root.toSource({ quote: 'single' });
  }
  return undefined;
}

function envRead(envName: string): ReturnType<typeof jscodeshift.memberExpression> {
  return jscodeshift.memberExpression(jscodeshift.memberExpression(jscodeshift.identifier('process'), jscodeshift.identifier('env')), jscodeshift.identifier(envName));
}

function optIn(envName: string): ReturnType<typeof jscodeshift.binaryExpression> {
  return jscodeshift.binaryExpression('===', envRead(envName), jscodeshift.stringLiteral('true'));
}

/** Makes the features module fit a rollout at `percentage` (see {@link withFlagDefault}); returns whether the file changed. */
export async function setFeaturesFlagDefault(file: string, key: string, envName: string, percentage: number): Promise<boolean> {
  const text = await fs.readFile(file, 'utf8');
  const next = withFlagDefault(text, file, key, envName, percentage);
  if (next === undefined) return false;
  await writeFileAtomic(file, next);
  return true;
}
