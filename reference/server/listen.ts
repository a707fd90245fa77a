/** Listening on a port with typed errors, and the host to print in a URL for an interface. */
import type { Server } from 'node:http';
import { WsmigError } from '../../lib/errors.js';

/** The host part of a URL reaching `host` (loopback when listening on every interface). */
export function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Listens and resolves with the port (the chosen one when `port` is 0).
 * @throws WsmigError `PORT_IN_USE`, `PORT_NOT_ALLOWED` or `LISTEN_FAILED`, saying what to do.
 */
export function listen(server: Server, options: { port: number; host: string; backlog: number }): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      if (error.code === 'EADDRINUSE') {
        reject(new WsmigError('PORT_IN_USE', `Port ${options.port} on ${options.host} is already in use: stop the process using it, or choose another port (--port 0 picks a free one).`, { cause: error }));
      } else if (error.code === 'EACCES') {
        reject(new WsmigError('PORT_NOT_ALLOWED', `Not allowed to listen on port ${options.port} on ${options.host}: choose a port above 1023 or run with the needed privileges.`, { cause: error }));
      } else {
        reject(new WsmigError('LISTEN_FAILED', `Cannot listen on ${options.host}:${options.port}: ${error.message}.`, { cause: error }));
      }
    };
    server.once('error', onError);
    server.listen({ port: options.port, host: options.host, backlog: options.backlog }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : options.port);
    });
  });
}
