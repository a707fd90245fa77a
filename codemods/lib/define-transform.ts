/**
 * Turns a block-level transform into a jscodeshift transform `(file, api, options)`: finds the
 * configuration, parses each block with the right parser (`.ts` without JSX so angle-bracket casts
 * survive; `.tsx`/`.jsx`/`.js` with JSX; each `<script>` of a `.vue` file), prints with the file's own
 * style, and reports what it did to the runner's side channel or, under the plain jscodeshift CLI,
 * through `api.report`.
 */
import path from 'node:path';
import type { API, FileInfo, Options, Transform } from 'jscodeshift';
import { resolveCodemodsConfig, type ResolvedCodemodsConfig } from '../config.js';
import { TransformContext } from './context.js';
import { closeImportGaps } from './imports.js';
import { IGNORE_FILE_PATTERN } from './markers.js';
import { dropAddedSemicolons, separateAddedImports } from './reprint-fixes.js';
import { type FileRecord, writeFileRecord } from './report-channel.js';
import { type ParserName, replaceBlocks, sourceBlocks, componentMarkupText } from './source-blocks.js';

/** Options the runner passes to a transform (plain jscodeshift users may pass `--config=<file>`). */
export interface TransformOptions extends Options {
  /** The validated configuration (set by the runner). */
  codemodConfig?: ResolvedCodemodsConfig;
  /** A `wsmig.config.json` to read (plain jscodeshift CLI); default: the one in the working directory. */
  config?: string;
  /** JSON-lines file the runner reads the per-file records from. */
  reportFile?: string;
  /** Put the rewritten source in the record (`--print`). */
  captureOutput?: boolean;
}

/** A transform of one parsed block; it changes `ctx.root` in place and tallies into `ctx`. */
type BlockTransform = (ctx: TransformContext) => void;

/** Files larger than this are generated or bundled code: skipped rather than parsed. */
const MAX_SOURCE_BYTES = 1_000_000;

const configs = new Map<string, Promise<ResolvedCodemodsConfig>>();
// Binding jscodeshift to a parser rebuilds its API each time: once per parser is enough.
const boundParsers = new WeakMap<API['jscodeshift'], Map<ParserName, API['jscodeshift']>>();

function withParser(jscodeshift: API['jscodeshift'], parser: ParserName): API['jscodeshift'] {
  let byParser = boundParsers.get(jscodeshift);
  if (!byParser) boundParsers.set(jscodeshift, (byParser = new Map()));
  let bound = byParser.get(parser);
  if (!bound) byParser.set(parser, (bound = jscodeshift.withParser(parser)));
  return bound;
}

function configFor(options: TransformOptions): Promise<ResolvedCodemodsConfig> {
  if (options.codemodConfig) return Promise.resolve(options.codemodConfig);
  const key = options.config ?? '';
  let pending = configs.get(key);
  if (!pending) {
    pending = resolveCodemodsConfig({ root: process.cwd(), configFile: options.config });
    configs.set(key, pending);
  }
  return pending;
}

/** The block as the transform left it, in the file's own style. */
function printBlock(ctx: TransformContext): string {
  const printed = closeImportGaps(ctx.root.toSource(ctx.printOptions), ctx.addedImportSources);
  const separated = separateAddedImports(printed, /^[ \t]*import[\s{]/m.test(ctx.block.code));
  return ctx.printOptions.semicolons ? separated : dropAddedSemicolons(ctx.block.code, separated);
}

/** Wraps a {@link BlockTransform} as a jscodeshift transform. */
export function defineTransform(run: BlockTransform): Transform {
  return async function transform(file: FileInfo, api: API, options: TransformOptions) {
    const absolute = path.resolve(file.path);
    const report = (record: FileRecord): void => {
      if (options.reportFile) writeFileRecord(options.reportFile, record);
      else for (const site of record.manual) api.report(`line ${site.line}: ${site.reason}`);
    };
    const base = { file: absolute, sitesConverted: 0, sitesIgnored: 0, manual: [] };
    try {
      const config = await configFor(options);
      const blocks = sourceBlocks(absolute, file.source);
      const skipReason = file.source.length > MAX_SOURCE_BYTES ? 'larger than 1 MB (generated code?)' : IGNORE_FILE_PATTERN.test(file.source) ? 'wsmig-codemod-ignore-file' : blocks.length === 0 ? 'no script to transform' : undefined;
      if (skipReason) {
        report({ ...base, outcome: 'skipped', detail: skipReason });
        return undefined;
      }
      const templateText = componentMarkupText(absolute, file.source);
      const record: FileRecord = { ...base, outcome: 'unchanged' };
      const newCodes = blocks.map((block) => {
        const j = withParser(api.jscodeshift, block.parser);
        const ctx = new TransformContext(j, j(block.code), absolute, block, config, templateText);
        run(ctx);
        record.sitesConverted += ctx.sitesConverted;
        record.sitesIgnored += ctx.sitesIgnored;
        record.manual.push(...ctx.manual);
        return ctx.sitesConverted > 0 || ctx.manual.length > 0 ? printBlock(ctx) : block.code;
      });
      const output = replaceBlocks(file.source, blocks, newCodes);
      record.outcome = output === file.source ? 'unchanged' : 'changed';
      if (options.captureOutput && record.outcome === 'changed') record.output = output;
      report(record);
      return output;
    } catch (error) {
      report({ ...base, outcome: 'failed', detail: error instanceof Error ? error.message.split('\n')[0] : String(error) });
      throw error;
    }
  };
}
