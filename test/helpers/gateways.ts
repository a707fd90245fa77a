/** Standalone gateways for tests: each on a free port, every one closed after each test. */
import { afterEach } from 'vitest';
import { createGateway, type Gateway, type GatewayOptions } from '../../reference/server/index.js';

/** Call at the top of a test file: returns the factory and registers the `afterEach` that closes its gateways. */
export function gatewaysPerTest(): <Identity = unknown>(options?: GatewayOptions<Identity>) => Promise<Gateway<Identity> & { url: string }> {
  const gateways: Gateway<never>[] = [];
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
  });
  return async <Identity,>(options: GatewayOptions<Identity> = {}) => {
    const gateway = await createGateway<Identity>({ port: 0, ...options });
    gateways.push(gateway as Gateway<never>);
    return gateway as Gateway<Identity> & { url: string };
  };
}
