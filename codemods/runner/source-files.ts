/**
 * Which files a run looks at: JavaScript, TypeScript and Vue files under the given paths, never
 * dependencies or build output. Inside a git repository the list comes from git, so `.gitignore`
 * is honoured; elsewhere the folders are walked.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { TRANSFORMABLE_EXTENSIONS } from '../lib/source-blocks.js';

/** Folders never transformed: dependencies, build output, caches, VCS and wsmig state. */
export const IGNORED_DIRECTORIES = ['node_modules', 'dist', 'build', 'out', 'coverage', '.git', '.next', '.nuxt', '.output', '.svelte-kit', '.turbo', '.cache', '.wsmig', 'vendor', 'bower_components'] as const;
const IGNORED = new Set<string>(IGNORED_DIRECTORIES);

/** True for a file the transforms handle (by extension; declaration and minified files excluded). */
function isTransformable(file: string): boolean {
  const base = path.basename(file).toLowerCase();
  if (base.endsWith('.d.ts') || base.endsWith('.d.mts') || base.endsWith('.d.cts') || /\.min\.[cm]?js$/.test(base)) return false;
  return (TRANSFORMABLE_EXTENSIONS as readonly string[]).includes(path.extname(base));
}

function inIgnoredDirectory(file: string, under: string): boolean {
  return path
    .relative(under, file)
    .split(path.sep)
    .slice(0, -1)
    .some((segment) => IGNORED.has(segment));
}

async function walk(directory: string, found: string[]): Promise<void> {
  const entries = await fs.readdir(directory, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!IGNORED.has(entry.name)) await walk(full, found);
    } else if (entry.isFile() && isTransformable(full)) {
      found.push(full);
    }
  }
}

/**
 * Every transformable file under `paths` (absolute), sorted. A file named directly is taken as long
 * as its extension fits; folders are searched below, without ignored folders.
 * @param gitTop the repository's top folder, when the paths are in one
 */
export async function sourceFiles(paths: readonly string[], gitTop: string | undefined): Promise<string[]> {
  const files = new Set<string>();
  const directories: string[] = [];
  for (const target of paths) {
    const stat = await fs.stat(target);
    if (stat.isDirectory()) directories.push(target);
    else if (isTransformable(target)) files.add(target);
  }
  if (directories.length > 0 && gitTop) {
    const listed = await execa('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...directories], { cwd: gitTop });
    for (const relative of listed.stdout.split('\0')) {
      if (!relative) continue;
      const file = path.join(gitTop, relative);
      const base = directories.find((directory) => file.startsWith(`${directory}${path.sep}`)) ?? gitTop;
      if (!isTransformable(file) || inIgnoredDirectory(file, base)) continue;
      // A tracked file deleted in the working tree is listed by git but cannot be read; a symlink
      // is not followed (it may lead out of the repository, and rewriting it would replace the link).
      if (await fs.lstat(file).then((s) => s.isFile(), () => false)) files.add(file);
    }
  } else {
    for (const directory of directories) {
      const found: string[] = [];
      await walk(directory, found);
      found.forEach((file) => files.add(file));
    }
  }
  return [...files].sort();
}
