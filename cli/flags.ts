import { parseDurationMs } from '../lib/duration.js';
import { UsageError } from '../lib/errors.js';
import { DEFAULT_ADMIN_TOKEN_ENV, DEFAULT_TOKEN_ENV, ServiceCredentials } from '../scenarios/credentials.js';

/**
 * A whole-number flag within `[min, max]`; undefined when the flag was not given.
 * @throws UsageError BAD_FLAG naming the flag and the accepted range.
 */
export function integerFlag(flag: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError('BAD_FLAG', `Invalid ${flag} "${text}": use a whole number ${range}.`);
  }
  return value;
}

/** A duration flag (`500ms`, `30s`, `1m`) in whole milliseconds; undefined when the flag was not given. */
export function durationFlag(flag: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : Math.round(parseDurationMs(text, flag));
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The service's tokens from the environment: WSMIG_TOKEN and WSMIG_ADMIN_TOKEN, or the variables
 * `--token-env` / `--admin-token-env` name (a token itself never goes on the command line, which
 * `ps` shows). A variable named on purpose must hold something.
 * @throws UsageError BAD_FLAG for a bad name, or a named variable that is not set.
 */
export function credentialFlags(flags: { tokenEnv?: string | undefined; adminTokenEnv?: string | undefined }, env: NodeJS.ProcessEnv = process.env): ServiceCredentials {
  const named: [string, string | undefined][] = [['--token-env', flags.tokenEnv], ['--admin-token-env', flags.adminTokenEnv]];
  for (const [flag, name] of named) {
    if (name === undefined) continue;
    if (!ENV_NAME.test(name)) throw new UsageError('BAD_FLAG', `${flag} ${name} is not an environment variable name: give the variable's name (e.g. ${flag} MY_TOKEN), never the token itself.`);
    if (env[name] === undefined || env[name] === '') throw new UsageError('BAD_FLAG', `${flag} ${name}: the variable ${name} is not set; export it with the service's token, or leave out ${flag}.`);
  }
  const tokenEnv = flags.tokenEnv ?? DEFAULT_TOKEN_ENV;
  const adminTokenEnv = flags.adminTokenEnv ?? DEFAULT_ADMIN_TOKEN_ENV;
  return ServiceCredentials.fromEnv(env, {
    tokenEnv,
    adminTokenEnv,
    tokenHint: flags.tokenEnv === undefined ? `${tokenEnv} (or name another variable with --token-env)` : `${tokenEnv} (--token-env)`,
    adminTokenHint: flags.adminTokenEnv === undefined ? `${adminTokenEnv} (or name another variable with --admin-token-env)` : `${adminTokenEnv} (--admin-token-env)`,
  });
}
