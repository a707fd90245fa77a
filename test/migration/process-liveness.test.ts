import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessGroupAlive, mayStillBe, processIdentity } from '../../migration/process-liveness.js';
import { serviceAlive } from '../../migration/service.js';

const HAS_PROC = existsSync('/proc/self/stat') && existsSync('/proc/sys/kernel/random/boot_id');
if (!HAS_PROC) console.warn('process-liveness: skipped, no /proc here (the process identity is read from /proc/<pid>/stat and the boot id)');

/** A process in its own group, as wsmig starts the service. */
function startGroupLeader(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
}

describe.skipIf(!HAS_PROC)('which process a recorded pid names', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child?.pid !== undefined && isProcessGroupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
    child = undefined;
  });

  it('knows the process it recorded, and tells a later process with the same pid or another boot apart', () => {
    child = startGroupLeader();
    const pid = child.pid as number;
    const identity = processIdentity(pid);
    expect(identity).toMatch(/^[0-9a-f-]+\/\d+$/);
    expect(mayStillBe(pid, identity as string)).toBe(true);
    const [boot, startTicks] = (identity as string).split('/') as [string, string];
    expect(mayStillBe(pid, `${boot}/${Number(startTicks) + 1}`)).toBe(false);
    expect(mayStillBe(pid, `00000000-0000-0000-0000-000000000000/${startTicks}`)).toBe(false);
  });

  it('never takes a live process group for the service when the recorded identity is not its own', () => {
    child = startGroupLeader();
    const pid = child.pid as number;
    const identity = processIdentity(pid) as string;
    const [boot, startTicks] = identity.split('/') as [string, string];
    const record = { pid, command: ['node'], startedAt: new Date().toISOString(), logFile: '/dev/null' };
    expect(serviceAlive({ ...record, identity })).toBe(true);
    expect(serviceAlive({ ...record, identity: `${boot}/${Number(startTicks) - 1}` })).toBe(false);
    expect(serviceAlive(record)).toBe(true);
  });
});
