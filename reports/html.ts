/**
 * `report.html`: one self-contained file (uPlot's JS and CSS and the data inlined, a CSP that allows
 * no network), so it opens anywhere — a CI artifact, an email attachment, an air-gapped laptop.
 * Every text from the Result is escaped; the data travels as JSON inside a non-executable script
 * element with `<` escaped, so a metric tag such as `</script>` stays text.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Result } from '../scenarios/result/types.js';
import { chartsFor } from './chart-data.js';
import { metricLabel, observedText, runInfo, samplesText, valuesText, verdictLabel, verdictMeaning, windowText } from './describe.js';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON that is safe inside `<script type="application/json">`: no `<`, `>`, `&`, or line separators left raw. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

let uplotAssets: { js: string; css: string } | undefined;

/** uPlot's minified JS and CSS from its installed package (read once). */
function uplot(): { js: string; css: string } {
  if (uplotAssets === undefined) {
    const dist = path.dirname(createRequire(import.meta.url).resolve('uplot'));
    uplotAssets = {
      js: readFileSync(path.join(dist, 'uPlot.iife.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script'),
      css: readFileSync(path.join(dist, 'uPlot.min.css'), 'utf8').replace(/<\/style/gi, '<\\/style'),
    };
  }
  return uplotAssets;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:28px 0 10px}
.banner{padding:14px 18px;border-radius:8px;color:#fff;margin-bottom:16px}
.banner strong{font-size:20px;margin-right:10px}
.pass{background:#1f7a3a}.fail{background:#b3261e}.inconclusive{background:#9a6700}.none{background:#5b6170}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #dde1e7;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5}
td.status-pass{color:#1f7a3a;font-weight:600}td.status-fail{color:#b3261e;font-weight:600}td.status-inconclusive{color:#9a6700;font-weight:600}
.charts{display:grid;grid-template-columns:1fr;gap:16px}.chart{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:8px}
pre{background:#fff;border:1px solid #dde1e7;padding:10px;overflow:auto;font-size:12px}
.muted{color:#5b6170}ul.warnings li{color:#7a4f00}
`;

const RENDER = `
(function () {
  var colors = ['#1f5fbf', '#d9480f', '#2b8a3e', '#862e9c', '#c92a2a', '#0b7285'];
  var charts = JSON.parse(document.getElementById('wsmig-charts').textContent);
  charts.forEach(function (chart) {
    var el = document.getElementById(chart.id);
    var width = Math.max(320, Math.min(1040, (el.clientWidth || 1040) - 16));
    var series = [{ label: 's' }].concat(chart.series.map(function (s, i) {
      return { label: s.label, stroke: colors[i % colors.length], width: 2, spanGaps: true, points: { show: true, size: 4 } };
    }));
    var data = [chart.x].concat(chart.series.map(function (s) { return s.values; }));
    new uPlot({ title: chart.title, width: width, height: 260, scales: { x: { time: false } },
      axes: [{ label: 'seconds since start' }, { label: chart.unit }], series: series }, data, el);
  });
})();
`;

/** Renders the whole report as one self-contained HTML document. */
export function renderHtml(result: Result): string {
  const e = escapeHtml;
  const verdict = result.verdict;
  const charts = chartsFor(result);
  const assets = uplot();
  const status = verdict?.status ?? 'none';
  const rows = (cells: string[][]) => cells.map((row) => `<tr>${row.join('')}</tr>`).join('\n');
  const td = (text: string, cls?: string) => `<td${cls === undefined ? '' : ` class="${cls}"`}>${e(text)}</td>`;

  const thresholds =
    verdict === null
      ? '<p class="muted">No thresholds were evaluated.</p>'
      : `<table><thead><tr><th>Status</th><th>Metric</th><th>Threshold</th><th>Observed</th><th>Samples</th><th>Window</th><th>Reason</th></tr></thead><tbody>
${rows(verdict.thresholds.map((t) => [td(t.status.toUpperCase(), `status-${t.status}`), td(t.metric), td(t.expression), td(observedText(t, result)), td(t.samples.toLocaleString('en-US')), td(windowText(t)), td(t.reason)]))}
</tbody></table>`;

  const metrics = `<table><thead><tr><th>Metric</th><th>Type</th><th>Unit</th><th>Values</th><th>Samples</th></tr></thead><tbody>
${rows(result.metrics.map((m) => [td(metricLabel(m)), td(m.type), td(m.unit), td(valuesText(m)), td(samplesText(m))]))}
</tbody></table>`;

  const g = result.generator;
  const generator =
    g === null
      ? '<p class="muted">No generator health recorded (imported or external run).</p>'
      : `<table><tbody>${rows([
          [td('Workers'), td(String(g.workers))],
          [td('Late sends'), td(String(g.lateSends))],
          [td('Dropped iterations'), td(String(g.droppedIterations))],
          [td('Send lag p99'), td(`${g.sendLagP99Ms.toFixed(1)} ms`)],
          [td('CPU (of one core)'), td(`${g.cpuPercent.toFixed(0)}%`)],
          [td('Max RSS'), td(`${(g.maxRssBytes / 1048576).toFixed(0)} MiB`)],
          [td('Health'), td(g.problems.length === 0 ? 'healthy' : g.problems.join('; '), g.problems.length === 0 ? 'status-pass' : 'status-fail')],
        ])}</tbody></table>`;

  const chartSection =
    charts.length === 0
      ? '<p class="muted">This result has no time series to chart (imported summaries carry totals only).</p>'
      : `<div class="charts">${charts.map((c) => `<div class="chart" id="${e(c.id)}"></div>`).join('')}</div>`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wsmig report — ${e(verdictLabel(verdict))} — ${e(result.scenarios.map((s) => s.name).join(', '))}</title>
<style>${assets.css}</style>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>wsmig load report</h1>
<div class="banner ${status}" id="verdict"><strong>${e(verdictLabel(verdict))}</strong>${e(verdictMeaning(verdict))}</div>
<table><tbody>${rows(runInfo(result).map(([label, value]) => [`<th>${e(capitalized(label))}</th>`, td(value)]))}</tbody></table>
<h2>Thresholds</h2>
${thresholds}
<h2>Charts</h2>
${chartSection}
<h2>Metrics</h2>
${metrics}
<h2>Load generator</h2>
${generator}
${result.warnings.length === 0 ? '' : `<h2>Warnings</h2><ul class="warnings">${result.warnings.map((w) => `<li>${e(w)}</li>`).join('')}</ul>`}
<h2>Scenario options</h2>
${result.scenarios.map((s) => `<h3>${e(s.name)}</h3><pre>${e(JSON.stringify(s.options, null, 2))}</pre>`).join('\n')}
<p class="muted">Data: result.json (schema ${e(result.schema)}). Generated by wsmig${result.environment.wsmig === null ? '' : ` ${e(result.environment.wsmig)}`}.</p>
</main>
<script type="application/json" id="wsmig-charts">${jsonForScript(charts)}</script>
<script>${assets.js}</script>
<script>${RENDER}</script>
</body>
</html>
`;
}
