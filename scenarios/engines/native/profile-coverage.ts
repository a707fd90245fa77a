/**
 * What a run on a protocol profile could not measure, said plainly: a profile without sequence
 * numbers cannot count lost or duplicated events, one without timestamps cannot time their
 * delivery. Those metrics are left without samples (so their thresholds are inconclusive, never a
 * zero that passes), and these warnings, starting with NOT MEASURED, say why and what to add.
 */
import type { ProtocolProfile } from '../../profiles/schema.js';
import type { WsWorkload } from '../types.js';
import { newProfileStats, type ProfileStats } from '../../profiles/conversation.js';
import { notMeasured } from '../../profiles/coverage.js';
import type { WorkerStats } from './messages.js';

/** Sums the workers' profile figures. */
export function sumProfileStats(stats: readonly WorkerStats[]): ProfileStats {
  const total = newProfileStats();
  for (const s of stats) {
    if (s.profile === undefined) continue;
    for (const key of Object.keys(total) as (keyof ProfileStats)[]) total[key] += s.profile[key];
  }
  return total;
}

/** The NOT MEASURED warnings (and other profile notes) of a run on `profile`. */
export function profileCoverageWarnings(profile: ProtocolProfile, workload: WsWorkload, stats: ProfileStats): string[] {
  const warnings: string[] = [];
  const name = `profile ${profile.name}`;
  if (workload.ratePerSecond > 0 && profile.request === undefined) {
    warnings.push(notMeasured.requests(profile.name));
  }
  const wantsEvents = workload.syncs > 0;
  if (wantsEvents && stats.events === 0) {
    const why =
      profile.events === undefined
        ? `the ${name} has no events rule`
        : profile.subscribe === undefined
          ? `no message matched events.match, and the ${name} has no subscribe (add one if the service sends events only to subscribers)`
          : 'no message matched events.match after the subscribe';
    warnings.push(notMeasured.events(why));
  }
  if (stats.events > 0) {
    const seqPath = profile.events?.seqPath;
    if (stats.eventsWithSeq === 0) {
      warnings.push(notMeasured.seq(seqPath === undefined ? `the ${name} has no events.seqPath` : `no event carried a number at events.seqPath (${seqPath})`));
    } else if (stats.eventsWithSeq < stats.events) {
      warnings.push(`${stats.events - stats.eventsWithSeq} of ${stats.events} events carried no number at events.seqPath (${seqPath ?? ''}): they are not counted for loss or duplicates.`);
    }
    const timestampPath = profile.events?.timestampPath;
    if (stats.eventsWithTimestamp === 0) {
      warnings.push(notMeasured.timestamp(timestampPath === undefined ? `the ${name} has no events.timestampPath` : `no event carried a send time at events.timestampPath (${timestampPath})`));
    } else if (stats.eventsWithTimestamp < stats.events) {
      warnings.push(`${stats.events - stats.eventsWithTimestamp} of ${stats.events} events carried no send time at events.timestampPath (${timestampPath ?? ''}): their inter-arrival time is recorded instead of a latency.`);
    }
  }
  if (workload.cuts !== null && stats.eventsWithSeq > 0 && profile.subscribe?.resume === undefined) {
    warnings.push(`Events sent while a connection was down are not counted as lost: a ${name} connection subscribes afresh after a reconnect (the profile has no subscribe.resume), so loss is counted within each session only.`);
  }
  if (stats.handshakeTimeouts > 0) warnings.push(`${stats.handshakeTimeouts} handshake(s) got no answer matching handshake.expect in time: those connections were closed and retried.`);
  if (stats.unrecognised > 0) warnings.push(`${stats.unrecognised} message(s) from the server matched no rule of the ${name} (not a reply, ack, event or auto-reply).`);
  return warnings;
}
