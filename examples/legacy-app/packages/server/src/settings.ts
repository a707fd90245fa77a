/** Server settings from the environment (`.env` in development). */
export interface Settings {
  port: number;
  host: string;
  syncTotalMessages: number;
  syncBatchDelayMs: number;
}

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number (got "${raw}")`);
  return value;
}

export function loadSettings(): Settings {
  return {
    port: numberFrom('PORT', 3001),
    host: process.env['HOST'] ?? '127.0.0.1',
    syncTotalMessages: numberFrom('SYNC_TOTAL_MESSAGES', 100),
    syncBatchDelayMs: numberFrom('SYNC_BATCH_DELAY_MS', 100),
  };
}
