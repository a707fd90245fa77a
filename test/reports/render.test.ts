import { describe, expect, it } from 'vitest';
import { chartsFor } from '../../reports/chart-data.js';
import { renderConsoleSummary } from '../../reports/console-summary.js';
import { escapeHtml, jsonForScript, renderHtml } from '../../reports/html.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { runFolderName } from '../../reports/run-folder.js';
import { HOSTILE_TAG, sampleResult } from './sample-result.js';

describe('console summary', () => {
  it('shows the verdict, each threshold with its observed value and reason, and key metrics', () => {
    const text = renderConsoleSummary(sampleResult());
    expect(text).toMatch(/^wsmig latency · native · 12\.0s · embedded reference server/);
    expect(text).toMatch(/verdict: FAIL — 2 of 4 thresholds breached \(exit 99\)/);
    expect(text).toMatch(/FAIL +ws_rpc_duration\{scenario:latency\} +p\(99\)<30 +[\d.]+ms +whole run +p\(99\)=[\d.]+ms > 30 \(n=600\): breaches p\(99\)<30/);
    expect(text).toMatch(/FAIL +ws_reconnect_success +rate>0\.99 +0\.98/);
    expect(text).toMatch(/PASS +server_cpu_percent +value<90 +53% +2s × 2 \(0 of 6 failed\)/);
    expect(text).toMatch(/ws_connect_success +100% \(600 of 600\) +n=600/);
    expect(text).toMatch(/generator: 2 workers, late sends 0, dropped iterations 0, send lag p99 0\.8ms, CPU 35% — healthy/);
    expect(text).not.toMatch(/\u001b\[/);
    expect(renderConsoleSummary(sampleResult(), { color: true })).toMatch(/\u001b\[31mFAIL/);
  });
});

describe('markdown report', () => {
  it('has the verdict, thresholds, metrics (with sub-metrics) and generator, with table cells escaped', () => {
    const md = renderMarkdown(sampleResult());
    expect(md).toMatch(/^# wsmig load report — FAIL/);
    expect(md).toMatch(/\| FAIL \| ws\\_rpc\\_duration\{scenario:latency\} \| p\(99\)&lt;30 \|/);
    expect(md).toContain('| ws\\_rpc\\_duration{scenario:&lt;/script&gt;&lt;img src=x onerror="window.\\_\\_xss=1"&gt;\\|\\*\\_\\`} | trend |');
    // Outside code blocks (which show text literally) no markup gets through.
    expect(md.replace(/```json[\s\S]*?```/g, '')).not.toContain('<img');
    expect(md).toMatch(/## Load generator[\s\S]*Healthy/);
  });
});

describe('html report', () => {
  it('is self-contained: uPlot and data inlined, nothing fetched, a CSP that allows no network', () => {
    const html = renderHtml(sampleResult());
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).toMatch(/var uPlot=function/);
    expect(html).toMatch(/<div class="banner fail" id="verdict"><strong>FAIL<\/strong>/);
  });

  it('escapes hostile text everywhere: no markup or script breakout from a metric tag', () => {
    const html = renderHtml(sampleResult());
    expect(html).not.toContain(HOSTILE_TAG);
    expect(html).not.toMatch(/<img/i);
    const dataScript = /<script type="application\/json" id="wsmig-charts">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(dataScript).not.toMatch(/[<>]/);
    expect(html.match(/<\/script>/g)?.length).toBe(3);
    expect(escapeHtml(HOSTILE_TAG)).toBe('&lt;/script&gt;&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;|*_`');
    expect(JSON.parse(jsonForScript({ tag: HOSTILE_TAG })).tag).toBe(HOSTILE_TAG);
  });

  it('charts latency percentiles per interval, connections and reconnects, and server RSS/CPU/lag', () => {
    const charts = chartsFor(sampleResult());
    expect(charts.map((c) => c.title)).toEqual([
      'ws_rpc_duration percentiles per 1s',
      'ws_event_latency percentiles per 1s',
      'Connections and reconnects',
      'Server memory (RSS)',
      'Server CPU',
      'Server event-loop lag',
    ]);
    const rpc = charts[0]!;
    expect(rpc.x).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(rpc.series.map((s) => s.label)).toEqual(['p50', 'p95', 'p99']);
    // second 6 was slow: its interval's p99 shows it, the others do not
    const p99 = rpc.series[2]!.values as number[];
    expect(p99[6]).toBeGreaterThan(40);
    expect(Math.max(...p99.filter((_, i) => i !== 6))).toBeLessThan(20);
    const connections = charts[2]!;
    expect(connections.series.map((s) => s.label)).toEqual(['server connections', 'sessions started', 'reconnected', 'reconnect failed']);
    expect(connections.series[2]!.values[5]).toBe(49);
    expect(charts[3]!.series[0]!.values[0]).toBe(80);
    expect(charts[5]!.series[0]!.values[6]).toBeCloseTo(52, 6);
  });
});

describe('run folder names', () => {
  it('sort by start time and name the scenarios, safe for any filesystem', () => {
    const result = sampleResult();
    expect(runFolderName(result)).toBe('2026-01-15T10-20-30Z-latency');
    expect(runFolderName({ ...result, scenarios: [...result.scenarios, { ...result.scenarios[0]!, name: 'reconnect/storm: 2' }] })).toBe('2026-01-15T10-20-30Z-latency+reconnect-storm-2');
  });
});
