/**
 * The one reading of `.env` text, for the server (`--flag-file`) and the migration alike: dotenv's
 * parser, so a value means here what it means to the app that loads the same file with dotenv.
 */
import { parse } from 'dotenv';

/** The value an env text gives `name`, as dotenv reads it, or `undefined` when it does not set it. */
export function envTextValue(text: string, name: string): string | undefined {
  const values = parse(text);
  return Object.hasOwn(values, name) ? values[name] : undefined;
}
