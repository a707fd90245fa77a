/**
 * Whether a process is really running. `kill(pid, 0)` alone also succeeds for a zombie (a process
 * that exited but was not reaped yet, common in containers without an init), so on Linux the
 * state letter in /proc decides.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** True when `pid` names a live (not zombie) process. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** True when any process of the group led by `pgid` is alive (zombies do not count). */
export function isProcessGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const members = groupMembers(pgid);
  return members === undefined ? true : members.some((pid) => !isZombie(pid));
}

function isZombie(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state === 'Z';
}

function readStat(pid: number): { state: string; pgid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', pgid: Number(fields[2]) };
}

/** Pids of the group's members, from /proc; undefined where /proc cannot tell. */
function groupMembers(pgid: number): number[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.pgid === pgid) members.push(Number(entry));
  }
  return members;
}
