/** A free TCP port, for programs that need one named up front (no `--port 0`): a service in a config, redis-server, an example app. The benchmarks' helper, shared. */
export { freePort } from '../../bench/helpers/free-port.js';
