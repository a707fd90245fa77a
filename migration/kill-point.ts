/**
 * Deterministic interruption for the crash tests. When `NODE_ENV=test` and
 * `WSMIG_TEST_KILL_AT=<step id>:<label>` names a checkpoint (for example
 * `stabilize.remove-legacy:after-git-rm`, or `<step id>:after-apply` — reached after every step's
 * apply and before its outcome is recorded), the process sends itself SIGKILL there: exactly what
 * `kill -9` at that instant would do (no cleanup, no lock release, no state write). Outside tests
 * the variable is ignored.
 */
export function killPointReached(point: string): void {
  if (process.env['NODE_ENV'] !== 'test') return;
  const wanted = process.env['WSMIG_TEST_KILL_AT'];
  if (wanted === undefined || wanted !== point) return;
  process.kill(process.pid, 'SIGKILL');
}
