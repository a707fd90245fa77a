/** Reference servers for tests: each on a free port, every one closed after each test. */
import { afterEach } from 'vitest';
import { createServer, type ReferenceServer, type ServerOptions } from '../../reference/server/index.js';

export interface TestServers {
  /** Starts a server on port 0 with the file's defaults, then `options` (shallow: a `sync` here replaces the default one). */
  start(options?: ServerOptions): Promise<ReferenceServer>;
  /** Closes every server started so far, for a clean-up that needs them stopped first (e.g. removing their state folder). */
  closeAll(): Promise<void>;
}

/** Call at the top of a test file or a `describe`: it registers the `afterEach` that closes the servers. */
export function serversPerTest(defaults: ServerOptions = {}): TestServers {
  const servers: ReferenceServer[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  };
  afterEach(closeAll);
  return {
    start: async (options = {}) => {
      const server = await createServer({ port: 0, ...defaults, ...options });
      servers.push(server);
      return server;
    },
    closeAll,
  };
}
