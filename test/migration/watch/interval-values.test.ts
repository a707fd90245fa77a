import { describe, expect, it } from 'vitest';
import { intervalValues } from '../../../migration/watch/interval-values.js';
import type { MetricSample } from '../../../lib/prometheus-text.js';

const bucket = (le: string, value: number, type = 'echo', labels: Record<string, string> = {}): MetricSample => ({ name: 'wsmig_ws_request_duration_seconds_bucket', labels: { le, type, ...labels }, value });
const sample = (name: string, value: number, labels: Record<string, string> = {}): MetricSample => ({ name, labels, value });

describe('interval values', () => {
  it('turns two readings into the interval\'s server figures', () => {
    const before = [
      sample('wsmig_process_cpu_seconds_total', 10),
      sample('wsmig_ws_connection_attempts_total', 5, { outcome: 'accepted' }),
      sample('wsmig_ws_connection_attempts_total', 0, { outcome: 'overloaded' }),
      sample('wsmig_ws_disconnects_total', 1, { code: '1006' }),
      sample('wsmig_ws_disconnects_total', 4, { code: '1000' }),
      bucket('0.01', 10), bucket('0.1', 10), bucket('+Inf', 10),
      bucket('0.01', 3, 'sync:start'), bucket('0.1', 3, 'sync:start'), bucket('+Inf', 3, 'sync:start'),
    ];
    const after = [
      sample('wsmig_process_resident_memory_bytes', 50_000_000),
      sample('wsmig_process_cpu_seconds_total', 10.5),
      sample('wsmig_nodejs_eventloop_lag_seconds', 0.002),
      sample('wsmig_nodejs_eventloop_lag_p99_seconds', 0.012),
      sample('wsmig_ws_connections', 7),
      sample('wsmig_ws_connection_attempts_total', 9, { outcome: 'accepted' }),
      sample('wsmig_ws_connection_attempts_total', 1, { outcome: 'overloaded' }),
      sample('wsmig_ws_disconnects_total', 3, { code: '1006' }),
      sample('wsmig_ws_disconnects_total', 1, { code: '1011' }),
      sample('wsmig_ws_disconnects_total', 9, { code: '1000' }),
      bucket('0.01', 18), bucket('0.1', 20), bucket('+Inf', 21),
      bucket('0.01', 3, 'sync:start'), bucket('0.1', 4, 'sync:start'), bucket('+Inf', 4, 'sync:start'),
    ];
    const values = intervalValues({ atMs: 1_000, samples: before }, { atMs: 2_000, samples: after });
    expect(values).toEqual({
      startMs: 1_000,
      endMs: 2_000,
      rssBytes: 50_000_000,
      cpuPercent: 50,
      eventLoopLagSeconds: 0.012,
      connections: 7,
      connectAttempts: { accepted: 4, failed: 1 },
      unexpectedDisconnects: 3,
      rpcBuckets: [
        { lowerMs: 0, upperMs: 10, count: 8 },
        { lowerMs: 10, upperMs: 100, count: 3 },
        { lowerMs: 100, upperMs: Infinity, count: 1 },
      ],
    });
  });

  it('treats a counter that went down as a restarted process (the new value is the delta)', () => {
    const values = intervalValues(
      { atMs: 0, samples: [sample('wsmig_process_cpu_seconds_total', 100), bucket('+Inf', 1000), sample('wsmig_ws_connection_attempts_total', 50, { outcome: 'accepted' })] },
      { atMs: 1_000, samples: [sample('wsmig_process_cpu_seconds_total', 0.2), bucket('+Inf', 7), sample('wsmig_ws_connection_attempts_total', 2, { outcome: 'accepted' })] },
    );
    expect(values.cpuPercent).toBeCloseTo(20);
    expect(values.rpcBuckets).toEqual([{ lowerMs: 0, upperMs: Infinity, count: 7 }]);
    expect(values.connectAttempts).toEqual({ accepted: 2, failed: 0 });
  });

  it('leaves out what the server does not expose, and counts no disconnect series as none when the server counts attempts', () => {
    const bare = intervalValues({ atMs: 0, samples: [sample('other_metric', 1)] }, { atMs: 1_000, samples: [sample('other_metric', 2)] });
    expect(bare).toEqual({ startMs: 0, endMs: 1_000 });
    const attemptsOnly = intervalValues({ atMs: 0, samples: [] }, { atMs: 1_000, samples: [sample('wsmig_ws_connection_attempts_total', 0, { outcome: 'accepted' })] });
    expect(attemptsOnly.unexpectedDisconnects).toBe(0);
  });

  it('takes the worst instance for resources and sums connections when Prometheus scrapes several servers', () => {
    const a = { job: 'app', instance: 'a' };
    const b = { job: 'app', instance: 'b' };
    const values = intervalValues(
      { atMs: 0, samples: [sample('wsmig_process_cpu_seconds_total', 1, a), sample('wsmig_process_cpu_seconds_total', 1, b)] },
      {
        atMs: 1_000,
        samples: [
          sample('wsmig_process_cpu_seconds_total', 1.1, a),
          sample('wsmig_process_cpu_seconds_total', 1.9, b),
          sample('wsmig_process_resident_memory_bytes', 10, a),
          sample('wsmig_process_resident_memory_bytes', 30, b),
          sample('wsmig_ws_connections', 2, a),
          sample('wsmig_ws_connections', 5, b),
        ],
      },
    );
    expect(values.cpuPercent).toBeCloseTo(90);
    expect(values.rssBytes).toBe(30);
    expect(values.connections).toBe(7);
  });
});

describe('interval values from a service\'s own series (watch.metrics)', () => {
  const own = (name: string, value: number, labels: Record<string, string> = {}): MetricSample => ({ name, labels, value });

  it('reads each mapped threshold metric from the series and labels it names, in its units', () => {
    const before = [
      own('app_reply_ms_bucket', 0, { le: '10', route: 'rpc' }), own('app_reply_ms_bucket', 0, { le: '500', route: 'rpc' }), own('app_reply_ms_bucket', 0, { le: '+Inf', route: 'rpc' }),
      own('app_reply_ms_bucket', 0, { le: '10', route: 'health' }), own('app_reply_ms_bucket', 0, { le: '+Inf', route: 'health' }),
      own('app_closed_total', 2, { code: '1006' }), own('app_closed_total', 50, { code: '1000' }),
      own('app_upgrades_total', 10, { result: 'ok' }), own('app_upgrades_total', 1, { result: 'denied' }),
      own('app_cpu_seconds', 3),
      // wsmig's own series are there too: the mapping wins for the metrics it names.
      own('wsmig_ws_connections', 99),
    ];
    const after = [
      own('app_reply_ms_bucket', 8, { le: '10', route: 'rpc' }), own('app_reply_ms_bucket', 10, { le: '500', route: 'rpc' }), own('app_reply_ms_bucket', 10, { le: '+Inf', route: 'rpc' }),
      own('app_reply_ms_bucket', 1000, { le: '10', route: 'health' }), own('app_reply_ms_bucket', 1000, { le: '+Inf', route: 'health' }),
      own('app_closed_total', 5, { code: '1006' }), own('app_closed_total', 1, { code: '1011' }), own('app_closed_total', 70, { code: '1000' }),
      own('app_upgrades_total', 14, { result: 'ok' }), own('app_upgrades_total', 3, { result: 'denied' }), own('app_upgrades_total', 1, { result: 'error' }),
      own('app_cpu_seconds', 3.25),
      own('app_sockets', 4, { shard: '1' }), own('app_sockets', 6, { shard: '2' }),
      own('wsmig_ws_connections', 99),
    ];
    const values = intervalValues({ atMs: 0, samples: before }, { atMs: 1_000, samples: after }, {
      ws_rpc_duration: { histogram: 'app_reply_ms', labels: { route: 'rpc' }, unit: 'milliseconds' },
      ws_unexpected_disconnects: { counter: 'app_closed_total', labels: { code: ['1006', '1011'] }, absentIsZero: false },
      ws_connect_success: { counter: 'app_upgrades_total', success: { label: 'result', values: ['ok'] } },
      server_connections: { gauge: 'app_sockets' },
      server_cpu_percent: { counter: 'app_cpu_seconds' },
    });
    // Only the rpc route, with `le` read as milliseconds: 8 under 10 ms, 2 between 10 and 500 ms.
    expect(values.rpcBuckets).toEqual([
      { lowerMs: 0, upperMs: 10, count: 8 },
      { lowerMs: 10, upperMs: 500, count: 2 },
      { lowerMs: 500, upperMs: Infinity, count: 0 },
    ]);
    expect(values.unexpectedDisconnects).toBe(4);
    expect(values.connectAttempts).toEqual({ accepted: 4, failed: 3 });
    expect(values.connections).toBe(10);
    expect(values.cpuPercent).toBeCloseTo(25);
  });

  it('leaves a mapped metric out when its series are absent (not measured), unless absentIsZero says a labelled counter starts unseen', () => {
    const reading = { atMs: 1_000, samples: [own('wsmig_ws_disconnects_total', 3, { code: '1006' }), own('wsmig_ws_connection_attempts_total', 1, { outcome: 'accepted' })] };
    const misspelt = intervalValues({ atMs: 0, samples: [] }, reading, { ws_unexpected_disconnects: { counter: 'app_closd_total', absentIsZero: false } });
    expect(misspelt.unexpectedDisconnects).toBeUndefined();
    const unseen = intervalValues({ atMs: 0, samples: [] }, reading, { ws_unexpected_disconnects: { counter: 'app_closed_total', absentIsZero: true } });
    expect(unseen.unexpectedDisconnects).toBe(0);
  });

  it('takes a PromQL value carried by the Prometheus source as one sample', () => {
    const values = intervalValues({ atMs: 0, samples: [] }, { atMs: 1_000, samples: [own('wsmig_watch_promql', 312.5, { metric: 'ws_rpc_duration' }), own('wsmig_watch_promql', 0.4, { metric: 'server_event_loop_lag_seconds' })] }, {
      ws_rpc_duration: { promql: 'x' },
      server_event_loop_lag_seconds: { promql: 'y' },
    });
    expect(values.rpcSamplesMs).toEqual([312.5]);
    expect(values.rpcBuckets).toBeUndefined();
    expect(values.eventLoopLagSeconds).toBe(0.4);
  });
});
