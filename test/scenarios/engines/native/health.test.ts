import { describe, expect, it } from 'vitest';
import { encodeHistogram, newHistogram } from '../../../../scenarios/result/histogram.js';
import { assessGenerator, workerWarnings } from '../../../../scenarios/engines/native/health.js';
import type { WorkerStats } from '../../../../scenarios/engines/native/messages.js';

const lagOf = (lagsMs: number[]): string => {
  const histogram = newHistogram();
  for (const lag of lagsMs) histogram.recordValue(Math.round(lag * 1000));
  return encodeHistogram(histogram);
};

const stats = (over: Partial<WorkerStats>): WorkerStats => ({
  scheduled: 1_000,
  started: 1_000,
  late: 0,
  droppedBehind: 0,
  droppedUnavailable: 0,
  lagHistogram: lagOf([1, 2, 3]),
  unknowableResyncs: 0,
  badFrames: 0,
  stoppedConnections: [],
  unmeasuredReconnects: 0,
  requestErrors: [],
  ...over,
});

const assess = (all: WorkerStats[], utilizations = all.map(() => 0.3)) =>
  assessGenerator({ stats: all, utilizations, cpuPercent: 60, maxRssBytes: 1e8, lateToleranceMs: 50, maxLagMs: 1_000 });

describe('assessGenerator', () => {
  it('is healthy when sends kept their schedule and nothing was dropped', () => {
    const health = assess([stats({}), stats({})]);
    expect(health).toMatchObject({ workers: 2, lateSends: 0, droppedIterations: 0, problems: [] });
    expect(health.sendLagP99Ms).toBeCloseTo(3, 1);
  });

  it('flags late sends above 1% of the sends, summed over workers', () => {
    const health = assess([stats({ late: 15, lagHistogram: lagOf([80, 90]) }), stats({ late: 10 })]);
    expect(health.lateSends).toBe(25);
    expect(health.problems).toHaveLength(1);
    expect(health.problems[0]).toMatch(/25 of 2000 sends \(1\.25%\) left more than 50 ms after their intended time/);
  });

  it('tolerates a few late sends', () => {
    expect(assess([stats({ late: 5 }), stats({ late: 4 })]).problems).toEqual([]);
  });

  it('flags dropped iterations, saying why they were dropped', () => {
    const health = assess([stats({ droppedBehind: 30, started: 970 }), stats({ droppedUnavailable: 20, started: 980 })]);
    expect(health.droppedIterations).toBe(50);
    expect(health.problems.join('\n')).toMatch(/fell more than 1000 ms behind/);
    expect(health.problems.join('\n')).toMatch(/no connection was open/);
  });

  it('flags a saturated worker', () => {
    expect(assess([stats({}), stats({})], [0.4, 0.97]).problems).toEqual([expect.stringMatching(/worker 1 was busy 97\.0% of the run/)]);
  });
});

describe('workerWarnings', () => {
  it('reports what the server did that the user must know', () => {
    const warnings = workerWarnings([
      stats({ unknowableResyncs: 3, stoppedConnections: [{ code: 4100, count: 2 }], requestErrors: [{ code: 'RATE_LIMITED', count: 7 }] }),
      stats({ requestErrors: [{ code: 'RATE_LIMITED', count: 1 }] }),
    ]);
    expect(warnings.join('\n')).toMatch(/3 resync\(s\)/);
    expect(warnings.join('\n')).toMatch(/code 4100/);
    expect(warnings.join('\n')).toMatch(/RATE_LIMITED ×8/);
  });
});
