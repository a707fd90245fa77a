/**
 * Marker and ignore comments. A site a transform cannot convert safely gets exactly one
 * `/* wsmig-codemod: <reason> *\/` comment; a `wsmig-codemod-ignore` comment on a statement (or on
 * anything enclosing it) makes the transforms skip the sites inside; `wsmig-codemod-ignore-file`
 * anywhere in a file skips the whole file.
 */
import type { ASTPath } from 'jscodeshift';

const MARKER_PREFIX = 'wsmig-codemod:';
export const IGNORE_FILE_PATTERN = /wsmig-codemod-ignore-file/;
const IGNORE_PATTERN = /wsmig-codemod-ignore(?!-file)/;

interface CommentLike {
  type: string;
  value: string;
  leading?: boolean;
  trailing?: boolean;
}

interface Commented {
  comments?: CommentLike[] | null;
  leadingComments?: CommentLike[] | null;
}

function commentsOf(node: unknown): CommentLike[] {
  const commented = node as Commented;
  return [...(commented.comments ?? []), ...(commented.leadingComments ?? [])];
}

/** The marker text for a reason (`*\/` cannot appear inside a block comment). */
function markerText(reason: string): string {
  return ` ${MARKER_PREFIX} ${reason.replace(/\*\//g, '* /').replace(/\s+/g, ' ').trim()} `;
}

/** True when the node carries a marker with exactly this reason. */
function hasMarker(node: unknown, reason: string): boolean {
  const text = markerText(reason).trim();
  return commentsOf(node).some((comment) => comment.value.trim() === text);
}

/** Adds the marker for `reason` as a leading block comment, unless the node already has it. */
export function addMarker(node: unknown, reason: string): void {
  if (hasMarker(node, reason)) return;
  const commented = node as Commented;
  const marker: CommentLike = { type: 'CommentBlock', value: markerText(reason), leading: true, trailing: false };
  commented.comments = [...(commented.comments ?? []), marker];
}

/** Removes every wsmig-codemod marker from the node (its site was converted after all). */
export function removeMarkers(node: unknown): void {
  const commented = node as Commented;
  if (!commented.comments) return;
  commented.comments = commented.comments.filter((comment) => !comment.value.trim().startsWith(MARKER_PREFIX));
}

/** True when the node itself or any node enclosing it has a `wsmig-codemod-ignore` comment. */
export function isIgnored(path: ASTPath): boolean {
  for (let current: ASTPath | null = path; current; current = current.parent as ASTPath | null) {
    if (commentsOf(current.node).some((comment) => comment.leading !== false && IGNORE_PATTERN.test(comment.value))) return true;
  }
  return false;
}
