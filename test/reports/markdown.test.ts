import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../reports/markdown.js';
import { sampleResult } from './sample-result.js';

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
