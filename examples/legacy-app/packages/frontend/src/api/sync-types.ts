/** What the sync endpoints send, as the app uses it. */
export interface SyncProgress {
  chatId: number | string;
  runId: string;
  progress: number;
  processed: number;
  total: number;
}

export interface SyncComplete {
  chatId: number | string;
  runId: string;
  processed: number;
  total: number;
  durationMs: number;
}

export interface SyncFailure {
  chatId: number | string;
  runId: string;
  error: { code: string; message: string; retryable: boolean };
  processed: number;
}

export interface SyncParams {
  chatId: number;
  options?: { batchSize?: number; incremental?: boolean };
}
