/**
 * Editing `.env` files in place: a value changes, everything else (comments, blank lines, order,
 * `export` prefixes, quoting style, inline comments, line endings) stays byte for byte. Values are
 * read with dotenv's parser (the server reads them the same way), and an edit is checked against it.
 */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { WsmigError } from '../lib/errors.js';
import { envTextValue } from '../lib/env-text.js';

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)(.*)$/;

interface ParsedValue {
  value: string;
  quote: '"' | "'" | '';
  /** Whatever follows the value on the line (spaces and an inline comment). */
  trailer: string;
}

function parseValue(raw: string): ParsedValue {
  const quoted = /^(["'])(.*?)\1(\s*(?:#.*)?)$/.exec(raw);
  if (quoted) return { value: quoted[2] as string, quote: quoted[1] as '"' | "'", trailer: quoted[3] as string };
  const comment = /^(.*?)(\s+#.*)$/.exec(raw);
  if (comment) return { value: (comment[1] as string).trimEnd(), quote: '', trailer: comment[2] as string };
  const trimmed = raw.trimEnd();
  return { value: trimmed, quote: '', trailer: raw.slice(trimmed.length) };
}

/** The value an env text gives `name`, read as dotenv reads it (lib/env-text.ts), or undefined. */
export function readEnvValue(text: string, name: string): string | undefined {
  return envTextValue(text, name);
}

/**
 * Returns `text` with each name set to its value: every existing assignment of the name is
 * rewritten (keeping its quoting and inline comment); a name not present is appended at the end.
 */
export function setEnvValues(text: string, values: Readonly<Record<string, string>>): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.length === 0 ? [] : text.split(/\r?\n/);
  const endsWithNewline = text.length > 0 && text.endsWith('\n');
  if (endsWithNewline) lines.pop();
  const seen = new Set<string>();
  const rewritten = lines.map((line) => {
    const match = ASSIGNMENT.exec(line);
    if (!match) return line;
    const name = match[2] as string;
    const wanted = values[name];
    if (wanted === undefined) return line;
    seen.add(name);
    const parsed = parseValue(match[4] as string);
    const quote = parsed.quote === '' && needsQuotes(wanted) ? '"' : parsed.quote;
    return `${match[1]}${name}${match[3]}${quote}${wanted}${quote}${parsed.trailer}`;
  });
  for (const [name, value] of Object.entries(values)) {
    if (!seen.has(name)) rewritten.push(`${name}=${needsQuotes(value) ? `"${value}"` : value}`);
  }
  return rewritten.length === 0 ? '' : `${rewritten.join(eol)}${eol}`;
}

function needsQuotes(value: string): boolean {
  return /[\s#"']/.test(value);
}

/** What an env-file update changed. */
export interface EnvFileChange {
  file: string;
  created: boolean;
  changed: boolean;
  before: Record<string, string | undefined>;
}

/** Reads an env file ('' when absent). */
export async function readEnvFile(file: string): Promise<{ text: string; exists: boolean }> {
  try {
    return { text: await fs.readFile(file, 'utf8'), exists: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', exists: false };
    throw error;
  }
}

/** Sets values in an env file atomically; writes nothing when every value is already as wanted. */
export async function updateEnvFile(file: string, values: Readonly<Record<string, string>>): Promise<EnvFileChange> {
  const { text, exists } = await readEnvFile(file);
  const before = Object.fromEntries(Object.keys(values).map((name) => [name, readEnvValue(text, name)]));
  const next = setEnvValues(text, values);
  const misread = Object.entries(values).filter(([name, value]) => envTextValue(next, name) !== value).map(([name]) => name);
  if (misread.length > 0) {
    throw new WsmigError('ENV_FILE_UNEDITABLE', `${file}: after the edit, dotenv would not read ${misread.map((name) => `${name}=${values[name] as string}`).join(', ')} (a multi-line value or unusual syntax around it). Nothing was written: set ${misread.join(', ')} in ${file} by hand, then rerun.`, { details: { file, names: misread } });
  }
  const changed = next !== text;
  if (changed) await writeFileAtomic(file, next);
  return { file, created: !exists, changed, before };
}
