/**
 * CPU and memory of the k6 process while it runs, read from /proc (Linux), so a run whose
 * generator was saturated says so: an overloaded generator cannot measure a server honestly.
 */
import { promises as fs } from 'node:fs';

/** CPU use (percent of one core, averaged over the run) and peak resident memory; null where unknown. */
export interface ProcessUsage {
  cpuPercent: number | null;
  maxRssBytes: number | null;
}

/** Linux reports process CPU time in USER_HZ ticks, which is 100 per second on every architecture. */
const TICKS_PER_SECOND = 100;

interface Reading {
  atMs: number;
  cpuTicks: number;
  rssBytes: number;
}

async function readProc(pid: number, nowMs: number): Promise<Reading | undefined> {
  try {
    const [stat, status] = await Promise.all([fs.readFile(`/proc/${pid}/stat`, 'utf8'), fs.readFile(`/proc/${pid}/status`, 'utf8')]);
    // Fields after the command name (which may contain spaces) start at "state"; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuTicks = Number(fields[11]) + Number(fields[12]);
    const rssKilobytes = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    if (!Number.isFinite(cpuTicks) || rssKilobytes === undefined) return undefined;
    return { atMs: nowMs, cpuTicks, rssBytes: Number(rssKilobytes) * 1024 };
  } catch {
    return undefined;
  }
}

/** Samples a process every `intervalMs` until `stop()`, which returns what was seen. */
export function watchProcessUsage(pid: number | undefined, intervalMs = 1_000, now: () => number = Date.now): { stop(): Promise<ProcessUsage> } {
  const readings: Reading[] = [];
  let pendingRead: Promise<void> = Promise.resolve();
  const sample = (): void => {
    if (pid === undefined) return;
    pendingRead = readProc(pid, now()).then((reading) => {
      if (reading !== undefined) readings.push(reading);
    });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    async stop(): Promise<ProcessUsage> {
      clearInterval(timer);
      await pendingRead;
      const first = readings[0];
      const last = readings[readings.length - 1];
      if (first === undefined || last === undefined) return { cpuPercent: null, maxRssBytes: null };
      const elapsedMs = last.atMs - first.atMs;
      const cpuPercent = elapsedMs > 0 ? ((last.cpuTicks - first.cpuTicks) / TICKS_PER_SECOND / (elapsedMs / 1000)) * 100 : null;
      return { cpuPercent, maxRssBytes: Math.max(...readings.map((reading) => reading.rssBytes)) };
    },
  };
}
