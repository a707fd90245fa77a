/** Reports of a run: result.json, report.md, a self-contained report.html, and the console summary. */
export { renderConsoleSummary, type ConsoleSummaryOptions } from './console-summary.js';
export { exitCodeOfStatus } from './describe.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export { runFolderName } from './run-folder.js';
export { writeReport, type WrittenReport } from './write-report.js';
