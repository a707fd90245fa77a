/**
 * Finding the k6 binary and asking its version. wsmig never pretends to run k6: without a binary
 * the k6 engine stops with a usage error saying how to get one.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../../../lib/errors.js';

/** Where to install k6 from. */
export const K6_INSTALL_URL = 'https://grafana.com/docs/k6/latest/set-up/install-k6/';

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The k6 binary: `WSMIG_K6` when set, else `k6` on PATH (with PATHEXT on Windows).
 * @param env the environment to search (injectable for tests).
 * @throws UsageError `K6_NOT_FOUND` saying how to install k6 or to use the native engine.
 */
export async function findK6Binary(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const explicit = env['WSMIG_K6'];
  if (explicit) {
    if (await isExecutableFile(explicit)) return explicit;
    throw new UsageError('K6_NOT_FOUND', `WSMIG_K6 is set to "${explicit}", which is not an executable file. Point it at the k6 binary, or unset it to use k6 from PATH.`);
  }
  const extensions = process.platform === 'win32' ? (env['PATHEXT'] ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    for (const extension of extensions) {
      const candidate = path.join(dir, `k6${extension}`);
      if (await isExecutableFile(candidate)) return candidate;
    }
  }
  throw new UsageError(
    'K6_NOT_FOUND',
    `k6 is not installed (no k6 on PATH): install it from ${K6_INSTALL_URL} or use --engine native. ` +
      'To run elsewhere, `wsmig load export k6 <scenario> --out DIR` writes the script and how to run it.',
  );
}

/** The version k6 reports (`k6 version` → `v1.0.0`), or null when it cannot be read. */
export async function k6Version(binary: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const result = await execa(binary, ['version'], { env, extendEnv: false, reject: false, timeout: 15_000 });
  const match = /\bk6\s+v?(\d+\.\d+\.\d+[^\s,)]*)/.exec(`${String(result.stdout)}\n${String(result.stderr)}`);
  return match === null ? null : match[1] ?? null;
}
