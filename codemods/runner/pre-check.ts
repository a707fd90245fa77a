/**
 * The cheap text test before parsing: a file that does not contain any of the transform's words
 * (`EventSource`, `getReader`, a wrapper's name, the flag key…) cannot have a site, so jscodeshift
 * never sees it. Parsing is what costs; most files of a real project have no SSE at all.
 */
import { promises as fs } from 'node:fs';

/** Files read at the same time. */
const CONCURRENT_READS = 32;

/** Reads the files (a bounded number at a time) and returns those whose text matches `pattern`, in order. */
export async function filesMatching(files: readonly string[], pattern: RegExp): Promise<string[]> {
  const matches = new Array<boolean>(files.length).fill(false);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      // An unreadable file is passed on: jscodeshift then reports it as failed.
      const text = await fs.readFile(files[index] as string, 'utf8').catch(() => undefined);
      matches[index] = text === undefined || pattern.test(text);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_READS, files.length) }, worker));
  return files.filter((_, index) => matches[index]);
}
