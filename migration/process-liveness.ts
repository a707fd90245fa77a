/**
 * Whether a process is really running. `kill(pid, 0)` alone also succeeds for a zombie (a process
 * that exited but was not reaped yet, common in containers without an init), so on Linux the
 * state letter in /proc decides. And which process a pid names: pids are reused, so a pid kept in
 * a file identifies a process only together with its start time and the boot it belongs to.
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

/**
 * What tells this process apart from a later one given the same pid: the boot id and the start
 * time in clock ticks since boot, from /proc. Undefined where /proc cannot tell (not Linux, or the
 * process is gone).
 */
export function processIdentity(pid: number): string | undefined {
  const stat = readStat(pid);
  const boot = bootId();
  if (stat === undefined || boot === undefined || stat.startTicks === undefined) return undefined;
  return `${boot}/${stat.startTicks}`;
}

/**
 * Whether `identity` (from {@link processIdentity}) can still name a live process: false once the
 * machine rebooted or the pid names a process that started at another time; true when /proc cannot
 * tell or the pid's process is gone (its group may live on, and a group id is not reused while it does).
 */
export function mayStillBe(pid: number, identity: string): boolean {
  const boot = bootId();
  if (boot !== undefined && !identity.startsWith(`${boot}/`)) return false;
  const now = processIdentity(pid);
  return now === undefined || now === identity;
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state === 'Z';
}

function readStat(pid: number): { state: string; pgid: number; startTicks: string | undefined } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields counted from 3 (state): pgrp is field 5, starttime field 22 (proc(5)).
  return { state: fields[0] ?? '?', pgid: Number(fields[2]), startTicks: fields[19] };
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
