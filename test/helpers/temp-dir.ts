/** Temporary folders for tests, and their removal after each test. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A new, empty folder under the system's temporary folder; `prefix` names it. */
export function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** Removes a folder and everything in it (or a file); one already gone is fine. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A new temporary folder for every test of the suite that calls this (made before it, removed after); returns its getter. */
export function tempDirPerTest(prefix: string): () => string {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await makeTempDir(prefix);
  });
  afterEach(async () => {
    if (dir !== undefined) await removeDir(dir);
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error('tempDirPerTest: the folder exists only while a test runs');
    return dir;
  };
}

/** Removes, after each test of the suite that calls this, every folder (or file) given to the returned function (which returns it). */
export function removedAfterEachTest(): (dir: string) => string {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(removeDir));
  });
  return (dir) => {
    dirs.push(dir);
    return dir;
  };
}
