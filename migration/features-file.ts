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
  /** `true` / `false` hard-coded. */
  | { kind: 'literal'; value: boolean };

export interface FeaturesFileInfo {
  file: string;
  form: FlagForm;
  /** 1-based line of the flag's property. */
  line: number;
}

/** The text prepare writes when the module does not exist (the seed's §3.1 step 2). */
export function featuresFileText(key: string, envName: string): string {
  return [
    '// Feature flags. wsmig flips USE_NEW_WS_SYNC in the env file; this module reads it.',
    'export const features = {',
    `  ${key}: process.env.${envName} === 'true',`,
    '}',
    '',
  ].join('\n');
}

function unexpected(file: string, line: number | undefined, what: string, key: string, envName: string): WsmigError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new WsmigError(
    'FEATURES_FILE_UNEXPECTED',
    `${where}: ${what}. wsmig expects \`export const features = { ${key}: process.env.${envName} === 'true', … }\` (or a true/false literal for ${key}). Change the file to that shape, or point flag.featuresFile/flag.featuresKey in wsmig.config.json at the right module; nothing was changed.`,
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
 * The features-module text with the flag's default set to `value`, or undefined when nothing needs
 * to change: a literal becomes `value`; the opt-out form becomes the seed's opt-in form when
 * turning the flag off (so an unset env var means off); the opt-in form leaves the decision to the env.
 */
export function withFlagDefault(text: string, file: string, key: string, envName: string, value: boolean): string | undefined {
  const { root, located } = locate(text, file, key, envName);
  const j = jscodeshift;
  const { form, property } = located;
  if (form.kind === 'literal') {
    if (form.value === value) return undefined;
    property.value = j.booleanLiteral(value);
    return root.toSource();
  }
  if (form.kind === 'env-opt-out' && !value) {
    property.value = j.binaryExpression('===', j.memberExpression(j.memberExpression(j.identifier('process'), j.identifier('env')), j.identifier(envName)), j.stringLiteral('true'));
    return root.toSource({ quote: 'single' });
  }
  return undefined;
}

/** Writes the flag's default into the features module when it hard-codes one; returns whether the file changed. */
export async function setFeaturesFlagDefault(file: string, key: string, envName: string, value: boolean): Promise<boolean> {
  const text = await fs.readFile(file, 'utf8');
  const next = withFlagDefault(text, file, key, envName, value);
  if (next === undefined) return false;
  await writeFileAtomic(file, next);
  return true;
}
