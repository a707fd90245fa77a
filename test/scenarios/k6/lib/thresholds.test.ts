import { describe, expect, it } from 'vitest';
import { metricOfSelector, scenarioOfSelector, thresholdsForK6 } from '../../../../scenarios/k6/lib/thresholds.js';

const RECORDED = ['checks', 'ws_rpc_duration', 'ws_msgs_lost', 'ws_reconnect_success'];

describe('thresholds for k6', () => {
  it('keep what k6 can evaluate, in k6 form', () => {
    const converted = thresholdsForK6(
      {
        'ws_rpc_duration{scenario:latency}': ['p(99)<250', { threshold: 'avg<50', abortOnFail: true, delayAbortEval: '10s' }],
        ws_msgs_lost: ['count==0'],
        checks: 'rate>0.99',
      },
      RECORDED,
      'rollback.json',
      'latency',
    );
    expect(converted.thresholds).toEqual({
      'ws_rpc_duration{scenario:latency}': ['p(99)<250', { threshold: 'avg<50', abortOnFail: true, delayAbortEval: '10s' }],
      ws_msgs_lost: ['count==0'],
      checks: ['rate>0.99'],
    });
    expect(converted.notes).toEqual([]);
  });

  it('leave out windowed thresholds, other scenarios and metrics this run does not record, drop minSamples, and say so', () => {
    const converted = thresholdsForK6(
      {
        thresholds: {
          server_cpu_percent: [{ threshold: 'value<85', window: '5s', consecutive: 3 }],
          ws_reconnect_success: [{ threshold: 'rate>0.99', minSamples: 20 }],
          'ws_rpc_duration{scenario:latency}': [{ threshold: 'p(99)<250', window: '10s', consecutive: 2 }],
          'ws_msgs_lost{scenario:reconnect-storm}': ['count==0'],
        },
      },
      RECORDED,
      'rollback.json',
      'latency',
    );
    expect(converted.thresholds).toEqual({ ws_reconnect_success: ['rate>0.99'] });
    const notes = converted.notes.join('\n');
    expect(converted.notes).toHaveLength(4);
    expect(notes).toMatch(/server_cpu_percent: not recorded by k6 in this run/);
    expect(notes).toMatch(/ws_reconnect_success: "rate>0.99" minSamples ignored by k6/);
    expect(notes).toMatch(/ws_rpc_duration\{scenario:latency\}: "p\(99\)<250" is evaluated over 10s windows/);
    expect(notes).toMatch(/ws_msgs_lost\{scenario:reconnect-storm\}: about scenario reconnect-storm, not latency/);
  });

  it('refuse a document that is not a thresholds map, naming the file', () => {
    expect(() => thresholdsForK6(['p(99)<1'], RECORDED, 't.json', 'latency')).toThrow(/^t\.json: expected an object/);
    expect(() => thresholdsForK6({ ws_msgs_lost: [{ abortOnFail: true }] }, RECORDED, 't.json', 'latency')).toThrow(/t\.json: "ws_msgs_lost" must list expressions/);
  });

  it('read the metric and the scenario of a selector', () => {
    expect(metricOfSelector('ws_rpc_duration{scenario:latency}')).toBe('ws_rpc_duration');
    expect(metricOfSelector(' checks ')).toBe('checks');
    expect(scenarioOfSelector('ws_rpc_duration{scenario:latency}')).toBe('latency');
    expect(scenarioOfSelector('ws_rpc_duration{ method:echo , scenario: reconnect-storm }')).toBe('reconnect-storm');
    expect(scenarioOfSelector('ws_rpc_duration{method:echo}')).toBeUndefined();
    expect(scenarioOfSelector('ws_rpc_duration')).toBeUndefined();
  });
});
