import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../reports/write-report.js';
import { parseResult } from '../../scenarios/result/schema.js';
import { SAMPLE_CHART_TITLES, sampleResult } from './sample-result.js';

/** Debian's chromium (`apt-get install -y chromium`); the test skips, saying why, when it cannot start. */
const CHROMIUM = '/usr/bin/chromium';

let browser: Browser | undefined;
let skipReason: string | undefined;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wsmig-report-'));
  if (!existsSync(CHROMIUM)) {
    skipReason = `${CHROMIUM} is not installed (apt-get install -y chromium)`;
    return;
  }
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  } catch (error) {
    skipReason = `Chromium could not be launched: ${(error as Error).message.split('\n')[0]}`;
  }
});

afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('report folder', () => {
  it('holds result.json (valid wsmig.result/v1), report.md and report.html', async () => {
    const result = sampleResult();
    const written = await writeReport(result, path.join(dir, 'run'));
    expect(parseResult(await readFile(written.resultJson, 'utf8'), 'result.json')).toEqual(JSON.parse(JSON.stringify(result)));
    expect(await readFile(written.reportMd, 'utf8')).toMatch(/^# wsmig load report — FAIL/);
    expect(await readFile(written.reportHtml, 'utf8')).toMatch(/^<!doctype html>/);
  });
});

describe('report.html in headless Chromium, with the network blocked', () => {
  it('shows its charts (drawn canvases), the verdict banner, and runs nothing injected', async (context) => {
    if (browser === undefined) {
      console.warn(`skipping the browser test: ${skipReason}`);
      context.skip(skipReason);
      return;
    }
    const written = await writeReport(sampleResult(), path.join(dir, 'browser'));
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    const fileUrl = pathToFileURL(written.reportHtml).href;
    await page.route('**', (route) => {
      if (route.request().url() === fileUrl) return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    await page.goto(fileUrl);
    await page.waitForSelector('.chart canvas', { timeout: 15_000 });
    // Runs in the page (a string, as this test is compiled without DOM types): how many pixels each chart painted.
    const charts = (await page.evaluate(`[...document.querySelectorAll('.chart')].map((chart) => {
      const canvas = chart.querySelector('canvas');
      if (canvas === null) return { title: chart.textContent, painted: 0 };
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
      return { title: chart.querySelector('.u-title')?.textContent ?? '', painted };
    })`)) as Array<{ title: string; painted: number }>;
    expect(charts.map((c) => c.title)).toEqual(SAMPLE_CHART_TITLES);
    for (const chart of charts) expect(chart.painted, chart.title).toBeGreaterThan(500);
    expect(await page.textContent('#verdict')).toMatch(/^FAIL2 of 4 thresholds breached/);
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.textContent('body')).toContain('ws_rpc_duration{scenario:</script><img src=x onerror="window.__xss=1">|*_`}');
    expect(problems).toEqual([]);
    expect(blocked).toEqual([]);
    await page.close();
  });
});
