import { promises as fs } from 'node:fs';
import path from 'node:path';

/** The name of wsmig's config file, at the root of the app's repository. */
export const CONFIG_FILE_NAME = 'wsmig.config.json';

/** The nearest folder at or above `start` holding `wsmig.config.json`, or undefined when there is none. */
export async function findConfigFolder(start: string): Promise<string | undefined> {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (await fs.stat(path.join(dir, CONFIG_FILE_NAME)).then((stat) => stat.isFile(), () => false)) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}
