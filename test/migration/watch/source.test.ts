import { afterEach, describe, expect, it } from 'vitest';
import { metricsEndpointsSource } from '../../../migration/watch/source.js';
import { createServer, type ReferenceServer } from '../../../reference/server/index.js';
import { freePort } from '../../helpers/free-port.js';

describe('metricsEndpointsSource (several instances)', () => {
  const servers: ReferenceServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });

  it('labels each sample with its instance, leaves out an instance that does not answer, and fails naming each when none answers', async () => {
    const up = await createServer({ port: 0 });
    servers.push(up);
    const downUrl = `http://127.0.0.1:${await freePort()}/metrics`;
    const source = metricsEndpointsSource([`${up.url}/metrics`, downUrl]);
    const samples = await source.read();
    const instances = new Set(samples.map((sample) => sample.labels['instance']));
    expect(instances).toEqual(new Set([new URL(up.url).host]));
    expect(samples.some((sample) => sample.name === 'wsmig_ws_connections')).toBe(true);

    const none = metricsEndpointsSource([downUrl, `http://127.0.0.1:${await freePort()}/metrics`]);
    await expect(none.read()).rejects.toThrow(/no instance answered: cannot reach http:\/\/127\.0\.0\.1:\d+\/metrics.*; cannot reach/);
  });
});
