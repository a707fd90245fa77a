/**
 * A VU's share of a WebSocket workload: it opens its connections over the ramp-up (speaking wsmig's
 * envelope, or the embedded protocol profile), sends its lane of the open-model request schedule,
 * carries out the reconnect-storm cuts, and ends everything at the deadline. One iteration per VU
 * lasts the whole scenario (k6's constant-vus executor).
 */
import { sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { ArrivalLane } from '../lib/arrivals.js';
import { compileProfile } from '../../profiles/compile.js';
import { newProfileStats } from '../../profiles/conversation.js';
import type { ProtocolProfile } from '../../profiles/schema.js';
import { echoPayloadOfBytes } from '../lib/envelope.js';
import { chatsOfConnection, connectionsOfLane, cutOffsetsMs, openOffsetMs, vuCountOf, type K6CutMode, type WsWorkloadPlan } from '../lib/workload-plan.js';
import { EnvelopeConnection } from './envelope-connection.js';
import { droppedIterations, wsMsgsDuplicated, wsMsgsLost, wsUnexpectedDisconnects, wsmigLateSends, wsmigSendLag } from './metrics.js';
import { ProfileConnection, type ProfileSession } from './profile-connection.js';
import type { ConnectionSettings, WorkloadConnection } from './reconnecting-connection.js';
import type { Target } from './script-env.js';
import { TimerSet } from './timers.js';

/** A send more than this late counts as a late send (the generator fell behind its schedule). */
const LATE_TOLERANCE_MS = 10;
/** An arrival more than this overdue is dropped rather than sent in a burst that would hide the lag. */
const MAX_LAG_MS = 1_000;
const SWEEP_INTERVAL_MS = 1_000;

/** What `setup()` decides once for every VU. */
export interface WorkloadSetup {
  /** Makes this run's chat ids unique, so runs against one server never share a channel. */
  runTag: string;
  /** The cut mode `auto` resolved to (reconnect-storm); null without cuts. */
  cutMode: K6CutMode | null;
}

/**
 * Runs once before the VUs start: picks the run tag, and resolves cut mode `auto` to `kick` when
 * the target's /admin/kick answers (kicking no one), else `client-close`.
 */
export function setupWorkload(plan: WsWorkloadPlan, target: Target): WorkloadSetup {
  const runTag = `k6${Date.now().toString(36)}`;
  if (plan.cuts === null) return { runTag, cutMode: null };
  if (plan.cuts.mode !== 'auto') return { runTag, cutMode: plan.cuts.mode };
  const probe = http.post(`${target.httpUrl}/admin/kick`, JSON.stringify({ count: 0 }), { headers: target.adminHeaders, timeout: '5s' });
  const cutMode: K6CutMode = probe.status === 200 ? 'kick' : 'client-close';
  console.info(`wsmig: cut mode auto → ${cutMode} (POST /admin/kick answered ${probe.status})`);
  return { runTag, cutMode };
}

function kickEveryone(target: Target): void {
  http
    .asyncRequest('POST', `${target.httpUrl}/admin/kick`, JSON.stringify({}), { headers: target.adminHeaders, timeout: '10s' })
    .then((response) => {
      if (response.status !== 200) console.warn(`wsmig: POST /admin/kick answered ${response.status}: the cut did not happen`);
    });
}

/**
 * The upgrade headers of a profile's connections: its own headers, the target's token, and its
 * subprotocols as `Sec-WebSocket-Protocol` (k6/websockets ignores the constructor's protocols
 * argument but sends this header as given).
 */
function profileUpgradeHeaders(profile: ProtocolProfile, target: Target): Record<string, string> {
  const subprotocols = profile.connect?.subprotocols ?? [];
  return { ...profile.connect?.headers, ...target.wsHeaders, ...(subprotocols.length > 0 ? { 'Sec-WebSocket-Protocol': subprotocols.join(', ') } : {}) };
}

/** The connections of one lane: on the embedded profile when there is one, else on wsmig's envelope. */
function laneConnections(scenario: string, plan: WsWorkloadPlan, target: Target, setup: WorkloadSetup, profile: ProtocolProfile | undefined, lane: number, timers: TimerSet): WorkloadConnection[] {
  const tags = { scenario };
  const settingsOf = (index: number, headers: Record<string, string>): ConnectionSettings => ({
    url: target.wsUrl,
    headers,
    tags,
    index,
    requestTimeoutMs: plan.requestTimeoutMs,
    reconnect: plan.reconnect,
    cuts: plan.cuts === null ? null : { byKick: setup.cutMode === 'kick', reconnectDeadlineMs: plan.cuts.reconnectDeadlineMs },
    timers,
  });
  if (profile !== undefined) {
    const session: ProfileSession = { protocol: compileProfile(profile, { payloadBytes: plan.payloadBytes }), subscribes: plan.syncs > 0, stats: newProfileStats() };
    const headers = profileUpgradeHeaders(profile, target);
    return connectionsOfLane(plan, lane).map((index) => new ProfileConnection(settingsOf(index, headers), session));
  }
  const echoPayload = echoPayloadOfBytes(plan.payloadBytes);
  return connectionsOfLane(plan, lane).map((index) => {
    const chats = chatsOfConnection(plan, index);
    const chatId = (chat: number): string => `${setup.runTag}-${scenario}-${chat}`;
    return new EnvelopeConnection({ ...settingsOf(index, target.wsHeaders), subscribeChats: chats.subscribe.map(chatId), driveChats: chats.drive.map(chatId), echoPayload });
  });
}

/** The body of every VU's single iteration. */
export function runWorkloadLane(scenario: string, plan: WsWorkloadPlan, target: Target, setup: WorkloadSetup, profile: ProtocolProfile | undefined): void {
  const startMs = exec.scenario.startTime;
  const deadlineMs = startMs + plan.durationMs;
  // The VU's id across the whole test (unique on every k6-operator runner too) picks its connections.
  const lane = exec.vu.idInTest - 1;
  const lanes = vuCountOf(plan);
  if (exec.vu.iterationInScenario > 0 || lane >= lanes || Date.now() >= deadlineMs) {
    // A second iteration of a VU whose first ended early: its connections are gone; wait out the scenario.
    const remainingMs = deadlineMs - Date.now();
    if (remainingMs > 0) sleep(remainingMs / 1000);
    return;
  }
  const tags = { scenario };
  // k6 leaves a metric without samples out of its summary: a zero makes "no loss" distinguishable from
  // "not measured". On a profile, loss is recorded per event that carries a seq (none: not measured).
  const zeroed = profile === undefined ? [wsMsgsLost, wsMsgsDuplicated] : [];
  for (const counter of [...zeroed, wsUnexpectedDisconnects, droppedIterations, wsmigLateSends]) counter.add(0, tags);
  const timers = new TimerSet();
  const connections = laneConnections(scenario, plan, target, setup, profile, lane, timers);
  connections.forEach((connection) => timers.after(startMs + openOffsetMs(plan, connection.index) - Date.now(), () => connection.connect()));

  // A profile without a request sends none (its ws_rpc_duration is NOT MEASURED, as on the native engine).
  const ratePerSecond = profile !== undefined && profile.request === undefined ? 0 : plan.ratePerSecond;
  const arrivals = new ArrivalLane({ ratePerSecond, rampUpMs: plan.rampUpMs, durationMs: plan.durationMs }, lane, lanes);
  let nextConnection = 0;
  const sendDue = (intendedMs: number): void => {
    const lagMs = Date.now() - intendedMs;
    wsmigSendLag.add(Math.max(0, lagMs), tags);
    if (lagMs > LATE_TOLERANCE_MS) wsmigLateSends.add(1, tags);
    let sent = false;
    if (lagMs <= MAX_LAG_MS) {
      for (let tried = 0; tried < connections.length && !sent; tried++) {
        const connection = connections[nextConnection % connections.length];
        nextConnection += 1;
        sent = connection !== undefined && connection.sendRequest(intendedMs);
      }
    }
    if (!sent) droppedIterations.add(1, tags);
    scheduleNextArrival();
  };
  const scheduleNextArrival = (): void => {
    const offsetMs = arrivals.next();
    if (offsetMs === undefined) return;
    const intendedMs = startMs + offsetMs;
    timers.after(intendedMs - Date.now(), () => sendDue(intendedMs));
  };
  scheduleNextArrival();

  for (const offsetMs of cutOffsetsMs(plan)) {
    timers.after(startMs + offsetMs - Date.now(), () => {
      if (setup.cutMode === 'client-close') connections.forEach((connection) => connection.cutNow(Date.now()));
      // One VU in the whole test kicks; the server closes every connection, on every runner.
      else if (setup.cutMode === 'kick' && lane === 0) kickEveryone(target);
    });
  }

  // At the deadline nothing new starts; requests in flight get their answer or time out (the
  // sweep), and the timers go once every connection has closed, which ends the iteration.
  let finished = false;
  const sweep = (): void => {
    const nowMs = Date.now();
    connections.forEach((connection) => connection.sweep(nowMs));
    if (finished && connections.every((connection) => connection.isStopped)) timers.clear();
    else timers.after(SWEEP_INTERVAL_MS, sweep);
  };
  timers.after(SWEEP_INTERVAL_MS, sweep);
  timers.after(deadlineMs - Date.now(), () => {
    finished = true;
    connections.forEach((connection) => connection.finish());
  });
}
