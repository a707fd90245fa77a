import { describe, expect, it } from 'vitest';
import { renderConsoleSummary } from '../../reports/console-summary.js';
import { sampleResult } from './sample-result.js';

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
