import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript, renderHtml } from '../../reports/html.js';
import { HOSTILE_TAG, sampleResult } from './sample-result.js';

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
});
