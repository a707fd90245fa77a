/**
 * `.wsmig/state.json`: where the migration stands. Written atomically after every step, so an
 * interrupted run leaves either the state before the step or after it; the journal holds the history.
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { WsmigError, messageOf } from '../lib/errors.js';

export const STATE_SCHEMA = 'wsmig.state/v1';

/** The three phases of the seed's timeline, in order. */
export const PHASES = ['prepare', 'migrate', 'stabilize'] as const;
export type PhaseName = (typeof PHASES)[number];

const stepRecordSchema = z.object({
  status: z.enum(['done', 'failed']),
  at: z.string(),
  detail: z.string().optional(),
});

const phaseRecordSchema = z.object({
  status: z.enum(['running', 'done', 'failed', 'rolled-back']),
  startedAt: z.string(),
  lastRunAt: z.string(),
  completedAt: z.string().optional(),
  steps: z.record(z.string(), stepRecordSchema),
  forced: z.array(z.object({ reason: z.string(), at: z.string(), gate: z.string() })).default([]),
});

const gateRecordSchema = z.object({
  verdict: z.enum(['pass', 'fail', 'inconclusive']),
  reportDir: z.string().nullable(),
  at: z.string(),
  summary: z.string(),
});

const serviceRecordSchema = z.object({
  pid: z.number(),
  command: z.array(z.string()),
  startedAt: z.string(),
  logFile: z.string(),
  /** Boot id and start time of the process (process-liveness.ts), so a reused pid is never taken for it. */
  identity: z.string().optional(),
  /** Set when wsmig stopped it on purpose (`wsmig migrate service stop`), as opposed to a crash. */
  stoppedAt: z.string().optional(),
  stoppedBy: z.string().optional(),
});

/** A threshold judged over one canary step, for each cohort. */
const cohortOutcomeSchema = z.object({
  status: z.enum(['pass', 'fail', 'inconclusive']),
  observed: z.number().nullable(),
  /** The observed value in its unit, for people (`1.75ms`, `129.2 MiB`). */
  observedText: z.string().optional(),
  samples: z.number(),
});

/** What a canary step measured, both cohorts side by side. */
const canarySummarySchema = z.object({
  /** `/api/config` answers during the step by the transport they chose: the cohorts' sizes. Null when the service does not count them. */
  configAnswers: z.object({ ws: z.number(), sse: z.number() }).nullable(),
  /** The most WebSocket connections and SSE streams open at once during the step (null: not exposed). */
  wsConnectionsMax: z.number().nullable(),
  sseStreamsMax: z.number().nullable(),
  /** Each threshold over the whole step: on the WebSocket cohort, and on the SSE cohort where the service measures the same thing. */
  thresholds: z.array(z.object({ metric: z.string(), expression: z.string(), ws: cohortOutcomeSchema, sse: cohortOutcomeSchema.nullable() })),
});

const canaryStepRecordSchema = z.object({
  percentage: z.number(),
  startedAt: z.string(),
  /** When the hold ends; a step resumed after a crash holds until then. */
  endsAt: z.string(),
  endedAt: z.string().optional(),
  /** `holding` while it runs (or when the run holding it died). */
  outcome: z.enum(['holding', 'passed', 'paused', 'breached']),
  evaluations: z.number(),
  /** The last evaluation's status and the reasons of its failed or inconclusive thresholds. */
  last: z.object({ status: z.string(), at: z.string(), reasons: z.array(z.string()) }).nullable(),
  summary: canarySummarySchema.nullable(),
  /** Set when a run picked the step up after the run holding it was interrupted. */
  resumedAt: z.array(z.string()).default([]),
});

const canarySchema = z.object({
  id: z.string(),
  steps: z.array(z.number()),
  stepMs: z.number(),
  intervalMs: z.number(),
  failureLimit: z.number(),
  thresholds: z.string(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  status: z.enum(['running', 'paused', 'rolled-back', 'done']),
  /** Index into `steps` of the step held now (or next). */
  current: z.number(),
  /** Every hold, in order (a paused step held again appears twice). */
  history: z.array(canaryStepRecordSchema),
  /** The canary report (`.wsmig/reports/<time>-canary.json`), rewritten after every step. */
  report: z.string().nullable(),
});

const stateSchema = z.object({
  schema: z.literal(STATE_SCHEMA),
  createdAt: z.string(),
  updatedAt: z.string(),
  phases: z.object({ prepare: phaseRecordSchema.optional(), migrate: phaseRecordSchema.optional(), stabilize: phaseRecordSchema.optional() }),
  inProgress: z
    .object({ runId: z.string(), command: z.string(), step: z.string().nullable(), pid: z.number(), startedAt: z.string(), paths: z.array(z.string()) })
    .nullable(),
  service: serviceRecordSchema.nullable(),
  baseline: gateRecordSchema.nullable(),
  migrateGate: gateRecordSchema.nullable(),
  flagOnAt: z.string().nullable(),
  commits: z.object({ prepare: z.string().optional(), migrate: z.string().optional(), stabilize: z.string().optional() }),
  usageSnapshots: z.array(z.object({ file: z.string(), at: z.string() })),
  rollbacks: z.array(
    z.object({
      at: z.string(),
      trigger: z.string(),
      incident: z.string(),
      verified: z.boolean(),
      commit: z.string().nullable(),
    }),
  ),
  /** The flag canary of the migrate phase (`--canary`), the latest one. Absent in states written before canaries. */
  canary: canarySchema.nullable().default(null),
});

export type GateRecord = z.infer<typeof gateRecordSchema>;
export type CanaryRecord = z.infer<typeof canarySchema>;
export type CanaryStepRecord = z.infer<typeof canaryStepRecordSchema>;
export type CanarySummary = z.infer<typeof canarySummarySchema>;
export type CohortOutcome = z.infer<typeof cohortOutcomeSchema>;
/** A service wsmig started (detached): the process group it leads, and where its output goes. */
export type ServiceRecord = z.infer<typeof serviceRecordSchema>;
export type MigrationState = z.infer<typeof stateSchema>;
/** The run that is applying steps now, or was when it was interrupted. */
export type InProgress = NonNullable<MigrationState['inProgress']>;

/** A state for a repository wsmig has not touched yet. */
function initialState(now: Date): MigrationState {
  const at = now.toISOString();
  return {
    schema: STATE_SCHEMA,
    createdAt: at,
    updatedAt: at,
    phases: {},
    inProgress: null,
    service: null,
    baseline: null,
    migrateGate: null,
    flagOnAt: null,
    commits: {},
    usageSnapshots: [],
    rollbacks: [],
    canary: null,
  };
}

/** Reads and writes `.wsmig/state.json`. One writer at a time: callers hold the lock. */
export class StateStore {
  private current: MigrationState | undefined;

  constructor(
    readonly file: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The state on disk, or a fresh one when there is none yet. */
  async load(): Promise<MigrationState> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new WsmigError('STATE_UNREADABLE', `Cannot read ${this.file}: ${messageOf(error)}.`, { cause: error });
      this.current = initialState(this.clock());
      return this.current;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new WsmigError('STATE_INVALID', `${this.file} is not valid JSON (${messageOf(error)}). It is written atomically, so something else changed it: restore it from a backup, or move it away to start the state afresh (the journal beside it keeps the history).`, { cause: error });
    }
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new WsmigError('STATE_INVALID', `${this.file} does not have the expected shape (${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown problem'}). Move it away to start the state afresh (the journal beside it keeps the history).`);
    }
    this.current = parsed.data;
    return this.current;
  }

  /** The last state loaded or saved. */
  get(): MigrationState {
    if (!this.current) throw new WsmigError('STATE_NOT_LOADED', 'internal: state read before load()');
    return this.current;
  }

  /** Applies `change` to the state and writes it atomically. */
  async update(change: (state: MigrationState) => void): Promise<MigrationState> {
    const next = structuredClone(this.current ?? (await this.load()));
    change(next);
    next.updatedAt = this.clock().toISOString();
    await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
    this.current = next;
    return next;
  }
}
