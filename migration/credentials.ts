/**
 * The one way the migration's tools get the service's credentials: `service.tokenEnv` and
 * `service.adminTokenEnv` name the environment variables (default `WSMIG_TOKEN` and
 * `WSMIG_ADMIN_TOKEN`, what the reference server reads); `service.tokenFile` and
 * `service.adminTokenFile` name files in the repository read when the variable is not set; last,
 * a token the config hands the service it starts (`service.env`). Every HTTP request, probe, watch
 * scrape and load test of the migration then sends them as `Authorization: Bearer`.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError, messageOf } from '../lib/errors.js';
import { ServiceCredentials } from '../scenarios/credentials.js';
import { assertRealPathsInside, type MigrationConfig } from './config.js';

export { ServiceCredentials };

interface TokenSpec {
  envName: string;
  envField: 'service.tokenEnv' | 'service.adminTokenEnv';
  file: string | undefined;
  fileField: 'service.tokenFile' | 'service.adminTokenFile';
}

/** How a person gives the token, for messages: `WSMIG_TOKEN (service.tokenEnv)`, and the file when one is configured. */
function hintOf(spec: TokenSpec): string {
  return `${spec.envName} (${spec.envField})${spec.file === undefined ? '' : ` or the file ${spec.file} (${spec.fileField})`}`;
}

/**
 * Reads a token file of the config: trimmed, non-empty, and really inside the repository.
 * @throws UsageError CONFIG_PATH_OUTSIDE_REPO (a symlink out of it), CREDENTIALS_FILE_UNREADABLE.
 */
async function readTokenFile(root: string, relative: string, field: string, envName: string): Promise<string> {
  let text: string;
  try {
    text = (await fs.readFile(path.resolve(root, relative), 'utf8')).trim();
  } catch (error) {
    throw new UsageError('CREDENTIALS_FILE_UNREADABLE', `Cannot read ${relative} (${field} in wsmig.config.json): ${messageOf(error)}. Put the service's token in it, or set ${envName} instead.`, { cause: error });
  }
  if (text === '') throw new UsageError('CREDENTIALS_FILE_UNREADABLE', `${relative} (${field} in wsmig.config.json) is empty: put the service's token on its first line, or set ${envName} instead.`);
  return text;
}

async function resolveToken(spec: TokenSpec, config: MigrationConfig, root: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const fromEnv = env[spec.envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (spec.file !== undefined) return readTokenFile(root, spec.file, spec.fileField, spec.envName);
  const handed = config.service.env[spec.envName];
  return handed === undefined || handed === '' ? undefined : handed;
}

/**
 * The service's credentials for a repository's config.
 * @throws UsageError when a configured token file is unreadable, empty, or leads out of the repository.
 */
export async function resolveServiceCredentials(config: MigrationConfig, root: string, env: NodeJS.ProcessEnv = process.env): Promise<ServiceCredentials> {
  await assertRealPathsInside(config, root);
  const service: TokenSpec = { envName: config.service.tokenEnv, envField: 'service.tokenEnv', file: config.service.tokenFile, fileField: 'service.tokenFile' };
  const admin: TokenSpec = { envName: config.service.adminTokenEnv, envField: 'service.adminTokenEnv', file: config.service.adminTokenFile, fileField: 'service.adminTokenFile' };
  return new ServiceCredentials({
    token: await resolveToken(service, config, root, env),
    adminToken: await resolveToken(admin, config, root, env),
    tokenHint: hintOf(service),
    adminTokenHint: hintOf(admin),
  });
}
