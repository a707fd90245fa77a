import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONNECT } from '../../../../scenarios/k6/lib/scenario-knobs.js';
import {
  SUMMARY_TREND_STATS,
  chatsOfConnection,
  connectionsOfLane,
  cutOffsetsMs,
  heldConnectionsScenario,
  openOffsetMs,
  scriptOptions,
  vuCountOf,
  type WsWorkloadPlan,
} from '../../../../scenarios/k6/lib/workload-plan.js';

function plan(overrides: Partial<WsWorkloadPlan> = {}): WsWorkloadPlan {
  return {
    connections: 100,
    socketsPerVu: 25,
    ratePerSecond: 200,
    payloadBytes: 100,
    durationMs: 30_000,
    rampUpMs: 2_000,
    syncs: 5,
    requestTimeoutMs: 10_000,
    reconnect: DEFAULT_RECONNECT,
    cuts: null,
    ...overrides,
  };
}

describe('workload plan', () => {
  it('gives every connection to exactly one VU', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_000 }), fc.integer({ min: 1, max: 300 }), (connections, socketsPerVu) => {
        const p = plan({ connections, socketsPerVu });
        const held: number[] = [];
        for (let lane = 0; lane < vuCountOf(p); lane++) held.push(...connectionsOfLane(p, lane));
        expect(held).toEqual(Array.from({ length: connections }, (_, index) => index));
        expect(connectionsOfLane(p, vuCountOf(p))).toEqual([]);
      }),
    );
  });

  it('subscribes every connection to a chat and gives every chat one driver that watches it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 300 }), (connections, syncs) => {
        const p = plan({ connections, syncs });
        const drivers = new Map<number, number>();
        for (let connection = 0; connection < connections; connection++) {
          const chats = chatsOfConnection(p, connection);
          if (syncs > 0) expect(chats.subscribe.length).toBeGreaterThan(0);
          for (const chat of chats.drive) {
            expect(drivers.has(chat)).toBe(false);
            drivers.set(chat, connection);
            expect(chats.subscribe).toContain(chat);
          }
          expect(new Set(chats.subscribe).size).toBe(chats.subscribe.length);
        }
        expect([...drivers.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: syncs }, (_, index) => index));
      }),
    );
  });

  it('gives every chat one driving connection, subscribed to it, and every connection one chat to watch (both engines)', () => {
    expect(chatsOfConnection({ connections: 10, syncs: 3 }, 0)).toEqual({ subscribe: [0], drive: [0] });
    expect(chatsOfConnection({ connections: 10, syncs: 3 }, 7)).toEqual({ subscribe: [1], drive: [] });
    // More chats than connections: a connection drives (and watches) several.
    expect(chatsOfConnection({ connections: 2, syncs: 5 }, 1)).toEqual({ subscribe: [1, 3], drive: [1, 3] });
    expect(chatsOfConnection({ connections: 10, syncs: 0 }, 4)).toEqual({ subscribe: [], drive: [] });
  });

  it('opens connections over the ramp-up and spreads the cuts after it', () => {
    const p = plan({ connections: 4, rampUpMs: 2_000, durationMs: 12_000, cuts: { count: 3, mode: 'kick', reconnectDeadlineMs: 5_000 } });
    expect([0, 1, 2, 3].map((connection) => openOffsetMs(p, connection))).toEqual([0, 500, 1_000, 1_500]);
    expect(cutOffsetsMs(p)).toEqual([4_500, 7_000, 9_500]);
    expect(cutOffsetsMs(plan())).toEqual([]);
  });

  it('builds constant-vus options with the statistics thresholds need', () => {
    const scenario = heldConnectionsScenario(plan({ connections: 101, socketsPerVu: 25 }), 'holdConnections');
    expect(scenario).toEqual({ executor: 'constant-vus', vus: 5, duration: '30000ms', gracefulStop: '15000ms', exec: 'holdConnections' });
    const options = scriptOptions({ latency: scenario }, { ws_msgs_lost: ['count==0'] });
    expect(options.summaryTrendStats).toEqual(SUMMARY_TREND_STATS);
    expect(options.summaryTrendStats).toEqual(expect.arrayContaining(['p(99)', 'p(99.9)', 'med', 'count']));
    expect(options.thresholds).toEqual({ ws_msgs_lost: ['count==0'] });
  });
});
