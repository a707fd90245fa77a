import { describe, expect, it } from 'vitest';
import { declaredFamilies, findSample, samplesFromText } from '../../lib/prometheus-text.js';

const TEXT = `# HELP wsmig_ws_connections Open WebSocket connections.
# TYPE wsmig_ws_connections gauge
wsmig_ws_connections 3
# TYPE wsmig_ws_connection_attempts_total counter
wsmig_ws_connection_attempts_total{outcome="accepted"} 10
wsmig_ws_connection_attempts_total{outcome="overloaded"} 1
# TYPE wsmig_ws_request_duration_seconds histogram
wsmig_ws_request_duration_seconds_bucket{le="0.01",type="echo"} 4
wsmig_ws_request_duration_seconds_bucket{le="+Inf",type="echo"} 5
wsmig_ws_request_duration_seconds_sum{type="echo"} 0.3
wsmig_ws_request_duration_seconds_count{type="echo"} 5
wsmig_ws_request_duration_seconds_bucket{le="0.01",type="sync:start"} 1
wsmig_ws_request_duration_seconds_bucket{le="+Inf",type="sync:start"} 2
wsmig_ws_request_duration_seconds_sum{type="sync:start"} 0.1
wsmig_ws_request_duration_seconds_count{type="sync:start"} 2
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.2
rpc_seconds_count 7
`;

describe('Prometheus text as flat samples', () => {
  it('flattens the text exposition, histograms into _bucket/_sum/_count samples', () => {
    const samples = samplesFromText(TEXT);
    expect(samples).toContainEqual({ name: 'wsmig_ws_connections', labels: {}, value: 3 });
    expect(samples).toContainEqual({ name: 'wsmig_ws_connection_attempts_total', labels: { outcome: 'overloaded' }, value: 1 });
    expect(samples).toContainEqual({ name: 'wsmig_ws_request_duration_seconds_bucket', labels: { type: 'echo', le: '0.01' }, value: 4 });
    expect(samples).toContainEqual({ name: 'wsmig_ws_request_duration_seconds_bucket', labels: { type: 'echo', le: '+Inf' }, value: 5 });
    expect(samples).toContainEqual({ name: 'wsmig_ws_request_duration_seconds_count', labels: { type: 'echo' }, value: 5 });
  });

  it('keeps every label set of a labelled histogram (the parser alone keeps only the last one)', () => {
    const buckets = samplesFromText(TEXT).filter((sample) => sample.name === 'wsmig_ws_request_duration_seconds_bucket');
    expect(buckets).toHaveLength(4);
    expect(buckets).toContainEqual({ name: 'wsmig_ws_request_duration_seconds_bucket', labels: { type: 'sync:start', le: '+Inf' }, value: 2 });
    expect(samplesFromText(TEXT)).toContainEqual({ name: 'rpc_seconds', labels: { quantile: '0.5' }, value: 0.2 });
    expect(samplesFromText(TEXT)).toContainEqual({ name: 'rpc_seconds_count', labels: {}, value: 7 });
  });

  it('lists the families a text declares, observed or not', () => {
    const families = declaredFamilies(`${TEXT}# TYPE wsmig_sse_streams gauge\n`);
    expect(families.has('wsmig_sse_streams')).toBe(true);
    expect(families.has('wsmig_ws_request_duration_seconds_bucket')).toBe(true);
  });

  it('finds a sample by name and a subset of its labels', () => {
    const samples = samplesFromText(TEXT);
    expect(findSample(samples, 'wsmig_ws_request_duration_seconds_count', { type: 'sync:start' })?.value).toBe(2);
    expect(findSample(samples, 'wsmig_ws_connections')?.value).toBe(3);
    expect(findSample(samples, 'wsmig_ws_connection_attempts_total', { outcome: 'refused' })).toBeUndefined();
  });
});
