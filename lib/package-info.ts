import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson {
  name?: string;
  version: string;
}

function findPackageRoot(): { root: string; json: PackageJson } {
  // This module runs both from source (lib/) and compiled (dist/lib/): walk up to wsmig's package.json.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
      if (json.name === 'wsmig') return { root: dir, json };
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('wsmig: cannot find its own package.json');
    dir = parent;
  }
}

const found = findPackageRoot();

/** The root folder of the installed wsmig package (where its package.json is). */
export const PACKAGE_ROOT: string = found.root;

/** wsmig's own version, from package.json. */
export function packageVersion(): string {
  return found.json.version;
}
