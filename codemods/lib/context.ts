/**
 * What a transform works with for one parsed block of a file: the jscodeshift API bound to the
 * right parser, the root collection, the configuration, and the tally it reports (sites converted,
 * sites ignored, sites left for manual work).
 */
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';
import type { ResolvedCodemodsConfig } from '../config.js';
import type { ManualSite } from './report-channel.js';
import { addMarker, isIgnored, removeMarkers } from './markers.js';
import { printOptionsFor, type PrintOptions } from './print-style.js';
import type { SourceBlock } from './source-blocks.js';

export class TransformContext {
  sitesConverted = 0;
  sitesIgnored = 0;
  readonly manual: ManualSite[] = [];
  /** Import sources a transform added declarations for (their blank-line gap is closed when printing). */
  readonly addedImportSources = new Set<string>();
  #lines: string[] | undefined;
  #printOptions: PrintOptions | undefined;

  constructor(
    readonly j: JSCodeshift,
    readonly root: Collection,
    /** Absolute path of the file. */
    readonly file: string,
    readonly block: SourceBlock,
    readonly config: ResolvedCodemodsConfig,
    /** The template or markup of a `.vue` or `.svelte` file (empty otherwise): names it mentions cannot move into a block. */
    readonly templateText: string,
  ) {}

  /** The statement that holds a site: markers and ignore comments live on statements. */
  statementOf(path: ASTPath): ASTPath {
    let current: ASTPath | null = path;
    while (current) {
      const parentNode = (current.parent as ASTPath | null)?.node as { type?: string } | undefined;
      const type = (current.node as { type: string }).type;
      const isStatement = /Statement$|Declaration$/.test(type) && type !== 'VariableDeclarator';
      if (isStatement && (parentNode?.type === 'Program' || parentNode?.type === 'BlockStatement' || parentNode?.type === 'SwitchCase' || parentNode?.type === 'ExportNamedDeclaration' || parentNode?.type === 'StaticBlock' || parentNode?.type === 'TSModuleBlock')) {
        // `export const x = …`: the comment belongs on the export statement.
        return parentNode.type === 'ExportNamedDeclaration' ? (current.parent as ASTPath) : current;
      }
      current = current.parent as ASTPath | null;
    }
    return path;
  }

  /** 1-based line of a node in the whole file (Vue blocks are offset). */
  lineOf(path: ASTPath): number {
    const loc = (path.node as { loc?: { start: { line: number } } | null }).loc;
    return (loc?.start.line ?? 1) + this.block.lineOffset;
  }

  /** True when a `wsmig-codemod-ignore` comment covers the site; counts it as ignored. */
  skipIfIgnored(path: ASTPath): boolean {
    if (!isIgnored(path)) return false;
    this.sitesIgnored++;
    return true;
  }

  /** Leaves a site as it is, with one marker comment on its statement and a line in the report. */
  markManual(path: ASTPath, reason: string): void {
    const statement = this.statementOf(path);
    addMarker(statement.node, reason);
    this.manual.push({ line: this.lineOf(statement), reason });
  }

  /** Records a converted site; markers left on it by earlier runs no longer apply. */
  converted(statement: unknown): void {
    removeMarkers(statement);
    this.sitesConverted++;
  }

  /** The style new code is printed in: read once from the block as parsed. */
  get printOptions(): PrintOptions {
    this.#printOptions ??= printOptionsFor(this.block.code);
    return this.#printOptions;
  }

  /** A line of the block as parsed (1-based; '' outside it). */
  sourceLine(line: number): string {
    this.#lines ??= this.block.code.split(/\r?\n/);
    return this.#lines[line - 1] ?? '';
  }

  /** True when the component's template or markup mentions the identifier `name`: it cannot move into a branch or go unused. */
  templateMentions(name: string): boolean {
    return this.templateText.length > 0 && new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`).test(this.templateText);
  }

  /** The path of the root `Program` node. */
  programPath(): ASTPath {
    const file = this.root.paths()[0] as ASTPath;
    return (file.node.type === 'Program' ? file : file.get('program')) as ASTPath;
  }

  /** True when the block's text contains any of the words: detectors skip their tree walks otherwise. */
  mentions(...words: readonly string[]): boolean {
    return words.some((word) => this.block.code.includes(word));
  }
}
