/**
 * One worker's share of a WebSocket workload: its connections (opened over the ramp-up), its share
 * of the request rate (open-model scheduler), the syncs it drives, cuts on the parent's order, and
 * its own MetricsRecorder, posted as snapshots (periodically, and at the end). Runs inside a worker
 * thread (worker.ts) but depends only on a `post` function, so it is testable in-process.
 */
import { encodeHistogram, newHistogram } from '../../result/histogram.js';
import { MetricsRecorder } from '../../result/recorder.js';
import { syncChannel } from '../../../reference/protocol/index.js';
import type { WSMessage } from '../../../reference/protocol/index.js';
import { echoPayloadOfBytes } from '../../k6/lib/envelope.js';
import type { BackoffPolicy } from '../../k6/lib/reconnect.js';
import { chatsOfConnection } from '../../k6/lib/workload-plan.js';
import { compileProfile } from '../../profiles/compile.js';
import { newProfileStats } from '../../profiles/conversation.js';
import { EchoRequestEncoder } from './echo-frames.js';
import { LoadConnection, type EnvelopeConnectionHost } from './load-connection.js';
import { ProfileConnection, type ProfileSession } from './profile-connection.js';
import type { ReconnectingConnection } from './reconnecting-connection.js';
import type { ParentMessage, WorkerMessage, WorkerSpec, WorkerStats, WorkerStatus } from './messages.js';
import { ArrivalScheduler, systemSchedulerClock, type SchedulerClock } from './scheduler.js';
import { SyncDriver } from './sync-driver.js';
import { createWorkerMetrics, type WorkerMetrics } from './worker-metrics.js';

/** Handshakes in flight at once per worker: a bounded connect storm, so the accept queue is not the bottleneck. */
const MAX_CONNECTING = 256;
/** How often deadlines, request timeouts and stalled syncs are checked. */
const SWEEP_MS = 100;
/** After `stop`, how long requests in flight may still get their reply. */
const STOP_GRACE_MS = 2_000;

export interface RunnerDependencies {
  clock?: SchedulerClock;
  random?: () => number;
}

/**
 * Runs one worker's share. Its connections speak wsmig's envelope (LoadConnection, with sync
 * drivers), or, when the workload carries a protocol profile, that profile (ProfileConnection).
 */
export class WorkloadRunner implements EnvelopeConnectionHost {
  readonly url: string;
  readonly upgradeHeaders: Readonly<Record<string, string>>;
  readonly metrics: WorkerMetrics;
  readonly reconnect: BackoffPolicy;
  readonly reconnectDeadlineMs: number;
  private readonly recorder: MetricsRecorder;
  private readonly clock: SchedulerClock;
  private readonly randomSource: () => number;
  readonly echoRequests: EchoRequestEncoder;
  /** With a protocol profile: its compiled rules and what its connections saw. */
  private readonly profileSession: ProfileSession | undefined;
  private readonly connections: ReconnectingConnection[] = [];
  private readonly drivers = new Map<number, SyncDriver>();
  private readonly scheduler: ArrivalScheduler | undefined;
  private cursor = 0;
  private requestSeq = 0;
  private opened = 0;
  private startedAt = 0;
  private openTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private progressTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private schedulerStarted = false;
  private unknowableResyncs = 0;
  private badFrames = 0;
  private refusedUpgrades = 0;
  private readonly stoppedByCode = new Map<number, number>();
  private readonly requestErrors = new Map<string, number>();

  constructor(
    private readonly spec: WorkerSpec,
    private readonly post: (message: WorkerMessage) => void,
    dependencies: RunnerDependencies = {},
  ) {
    this.url = spec.wsUrl;
    this.upgradeHeaders = spec.upgradeHeaders ?? {};
    this.clock = dependencies.clock ?? systemSchedulerClock;
    this.randomSource = dependencies.random ?? Math.random;
    this.reconnect = spec.workload.reconnect;
    this.reconnectDeadlineMs = spec.workload.cuts?.reconnectDeadlineMs ?? 10_000;
    this.recorder = new MetricsRecorder({ startMs: spec.startMs, intervalMs: spec.intervalMs });
    this.metrics = createWorkerMetrics(this.recorder, { scenario: spec.scenario }, spec.workload);
    this.echoRequests = new EchoRequestEncoder(echoPayloadOfBytes(spec.workload.payloadBytes));
    const profile = spec.workload.profile;
    this.profileSession =
      profile === undefined
        ? undefined
        : {
            protocol: compileProfile(profile, { payloadBytes: spec.workload.payloadBytes, random: () => this.randomSource() }),
            subscribes: spec.workload.syncs > 0,
            stats: newProfileStats(),
          };
    for (let i = 0; i < spec.connections; i += 1) {
      const g = spec.firstConnection + i;
      if (this.profileSession !== undefined) {
        this.connections.push(new ProfileConnection(g, this, this.profileSession));
        continue;
      }
      const chats = chatsOfConnection(spec.workload, g);
      const connection = new LoadConnection(
        g,
        chats.subscribe.map((k) => syncChannel(this.chatId(k))),
        this,
      );
      this.connections.push(connection);
      for (const k of chats.drive) {
        this.drivers.set(k, new SyncDriver(k, this.chatId(k), syncChannel(this.chatId(k)), connection, this.metrics.syncDuration, () => this.now()));
      }
    }
    if (spec.ratePerSecond > 0 && (profile === undefined || profile.request !== undefined)) {
      this.scheduler = new ArrivalScheduler({
        ratePerSecond: spec.ratePerSecond,
        rampUpMs: spec.workload.rampUpMs,
        durationMs: spec.workload.durationMs,
        lateToleranceMs: spec.lateToleranceMs,
        maxLagMs: spec.maxLagMs,
        clock: this.clock,
        onArrival: (intendedAt) => this.startIteration(intendedAt),
        onDropped: () => this.metrics.droppedIterations.add(1),
      });
    }
  }

  random(): number {
    return this.randomSource();
  }

  now(): number {
    return this.clock.now();
  }

  /** Handles an order from the parent. */
  handle(message: ParentMessage): void {
    switch (message.type) {
      case 'start':
        this.start();
        return;
      case 'cut':
        for (const connection of this.connections) connection.cutPending = true;
        if (message.mode === 'client-close') for (const connection of this.connections) connection.cut();
        this.post({ type: 'cut-armed', cut: message.cut });
        return;
      case 'cut-over':
        for (const connection of this.connections) connection.cutPending = false;
        return;
      case 'stop':
        void this.finish();
        return;
    }
  }

  /** Live state for the parent's progress line and cut pacing. */
  status(): WorkerStatus {
    let open = 0;
    let recovering = 0;
    for (const connection of this.connections) {
      if (connection.state === 'open') open += 1;
      if (connection.recovering) recovering += 1;
    }
    return { open, recovering };
  }

  private chatId(k: number): string {
    return `${this.spec.chatPrefix}-${k}`;
  }

  private start(): void {
    this.startedAt = this.now();
    this.openDue();
    if (this.opened < this.connections.length) this.openTimer = setInterval(() => this.openDue(), 5);
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
    this.progressTimer = setInterval(() => this.post({ type: 'progress', snapshot: this.recorder.snapshot(), status: this.status() }), this.spec.progressIntervalMs);
    this.statusTimer = setInterval(() => this.post({ type: 'status', status: this.status() }), this.spec.statusIntervalMs);
  }

  /** Opens the connections whose time in the ramp has come, keeping the handshakes in flight bounded. */
  private openDue(): void {
    const { rampUpMs } = this.spec.workload;
    const total = this.connections.length;
    const elapsed = this.now() - this.startedAt;
    const due = rampUpMs <= 0 ? total : Math.min(total, Math.floor((elapsed / rampUpMs) * total) + 1);
    let connecting = 0;
    for (let i = 0; i < this.opened; i += 1) if ((this.connections[i] as ReconnectingConnection).state === 'connecting') connecting += 1;
    while (this.opened < due && connecting < MAX_CONNECTING) {
      (this.connections[this.opened] as ReconnectingConnection).connect();
      this.opened += 1;
      connecting += 1;
    }
    if (this.opened >= total && this.openTimer) {
      clearInterval(this.openTimer);
      this.openTimer = undefined;
    }
  }

  /** One arrival of the open model: a request on the next open connection. False when none is open. */
  private startIteration(intendedAt: number): boolean {
    const total = this.connections.length;
    for (let tries = 0; tries < total; tries += 1) {
      const connection = this.connections[this.cursor] as ReconnectingConnection;
      this.cursor = this.cursor + 1 === total ? 0 : this.cursor + 1;
      if (!connection.isReady) continue;
      this.requestSeq += 1;
      if (!connection.sendRequest(this.requestSeq, intendedAt)) continue;
      this.metrics.iterations.add(1);
      return true;
    }
    return false;
  }

  onReady(connection: ReconnectingConnection): void {
    if (this.scheduler && !this.schedulerStarted && !this.stopping) {
      // Arrivals start with the first usable connection, so the ramp is not spent dropping iterations.
      this.schedulerStarted = true;
      this.scheduler.start();
    }
    for (const driver of this.drivers.values()) if (driver.connection === connection) driver.onConnectionReady();
  }

  onSyncFrame(connection: LoadConnection, message: WSMessage): void {
    let driver: SyncDriver | undefined;
    if (message.type === 'reply' || message.type === 'error') {
      const index = SyncDriver.chatIndexOf(message.id);
      driver = index === undefined ? undefined : this.drivers.get(index);
    } else {
      const prefix = `sync:${this.spec.chatPrefix}-`;
      if (message.channel.startsWith(prefix)) driver = this.drivers.get(Number(message.channel.slice(prefix.length)));
    }
    if (driver && driver.connection === connection) driver.onFrame(message);
  }

  noteUnknowableResync(): void {
    this.unknowableResyncs += 1;
  }

  noteBadFrame(): void {
    this.badFrames += 1;
  }

  noteStopped(code: number): void {
    this.stoppedByCode.set(code, (this.stoppedByCode.get(code) ?? 0) + 1);
  }

  noteRequestError(code: string): void {
    this.requestErrors.set(code, (this.requestErrors.get(code) ?? 0) + 1);
  }

  noteRefusedUpgrade(): void {
    this.refusedUpgrades += 1;
  }

  private sweep(): void {
    const now = this.now();
    const timeoutMs = this.spec.workload.requestTimeoutMs;
    for (const connection of this.connections) {
      connection.checkDeadline(now);
      if (connection.pending.size > 0) connection.expireRequests(now, timeoutMs);
    }
    for (const driver of this.drivers.values()) driver.sweep(now);
  }

  private async finish(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.scheduler?.stop();
    for (const driver of this.drivers.values()) driver.stop();
    if (this.openTimer) clearInterval(this.openTimer);
    if (this.progressTimer) clearInterval(this.progressTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    const graceEnd = this.now() + Math.min(STOP_GRACE_MS, this.spec.workload.requestTimeoutMs);
    while (this.now() < graceEnd && this.connections.some((connection) => connection.pending.size > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const now = this.now();
    let unmeasuredReconnects = 0;
    for (const connection of this.connections) {
      connection.expireRequests(now, 0);
      connection.checkDeadline(now);
      if (connection.reconnectUnjudged) unmeasuredReconnects += 1;
      connection.stop();
    }
    const stats: WorkerStats = {
      scheduled: this.scheduler?.stats.scheduled ?? 0,
      started: this.scheduler?.stats.started ?? 0,
      late: this.scheduler?.stats.late ?? 0,
      droppedBehind: this.scheduler?.stats.droppedBehind ?? 0,
      droppedUnavailable: this.scheduler?.stats.droppedUnavailable ?? 0,
      lagHistogram: encodeHistogram(this.scheduler?.lagHistogram ?? newHistogram()),
      unknowableResyncs: this.unknowableResyncs,
      badFrames: this.badFrames,
      stoppedConnections: [...this.stoppedByCode].map(([code, count]) => ({ code, count })),
      unmeasuredReconnects,
      requestErrors: [...this.requestErrors].map(([code, count]) => ({ code, count })),
      refusedUpgrades: this.refusedUpgrades,
      ...(this.profileSession === undefined ? {} : { profile: this.profileSession.stats }),
    };
    this.post({ type: 'done', snapshot: this.recorder.snapshot(), stats });
    // Give close frames a moment to leave, then make sure nothing keeps the thread alive.
    setTimeout(() => {
      for (const connection of this.connections) connection.terminate();
    }, 200).unref();
  }
}
