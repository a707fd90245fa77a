/** CPU time and memory of a process tree, for the load benchmark's generators that run as their own processes. */
import { readFileSync, readdirSync } from 'node:fs';

/** CPU seconds and RSS of a process and its descendants, read from /proc (Linux). */
export class ProcessTreeMeter {
  private readonly lastCpuTicks = new Map<number, number>();
  private peakRssBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly ticksPerSecond = 100;
  private readonly pageBytes = 4096;

  constructor(private readonly rootPid: number) {
    this.timer = setInterval(() => this.sample(), 200);
  }

  private sample(): void {
    let rss = 0;
    for (const pid of this.tree()) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime and stime are fields 14 and 15 of stat (11 and 12 after the command), rss is field 24.
        this.lastCpuTicks.set(pid, Number(fields[11]) + Number(fields[12]));
        rss += Number(fields[21]) * this.pageBytes;
      } catch {
        // The process ended between listing and reading: its last sample stands.
      }
    }
    this.peakRssBytes = Math.max(this.peakRssBytes, rss);
  }

  private tree(): number[] {
    const children = new Map<number, number[]>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const list = children.get(ppid) ?? [];
        list.push(Number(entry));
        children.set(ppid, list);
      } catch {
        continue;
      }
    }
    const pids = [this.rootPid];
    for (let i = 0; i < pids.length; i += 1) pids.push(...(children.get(pids[i] as number) ?? []));
    return pids;
  }

  stop(): { cpuSeconds: number; peakRssBytes: number } {
    clearInterval(this.timer);
    let ticks = 0;
    for (const value of this.lastCpuTicks.values()) ticks += value;
    return { cpuSeconds: ticks / this.ticksPerSecond, peakRssBytes: this.peakRssBytes };
  }
}
