import { describe, expect, it } from 'vitest';
import { instanceOf, samplesFromQuery } from '../../../migration/watch/samples.js';

describe('flat samples from a Prometheus query answer', () => {
  it('reads the same samples from a Prometheus instant-vector answer, keeping job and instance', () => {
    const samples = samplesFromQuery({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          { metric: { __name__: 'wsmig_ws_connections', job: 'app', instance: 'a:1' }, value: [1, '3'] },
          { metric: { __name__: 'wsmig_ws_request_duration_seconds_bucket', le: '+Inf', type: 'echo', job: 'app', instance: 'a:1' }, value: [1, '5'] },
        ],
      },
    });
    expect(samples[0]).toEqual({ name: 'wsmig_ws_connections', labels: { job: 'app', instance: 'a:1' }, value: 3 });
    expect(instanceOf(samples[1] as never)).toBe('app/a:1');
    expect(samplesFromQuery({ status: 'error', error: 'bad query' })).toEqual([]);
  });
});
