/**
 * `.wsmig/journal.ndjson`: an append-only history of every step event, one JSON object per line.
 * Nothing ever rewrites it; a line cut short by a crash is skipped when reading.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export type JournalEvent =
  | 'run-start'
  | 'run-end'
  | 'step-start'
  | 'step-checkpoint'
  | 'step-done'
  | 'step-skip'
  | 'step-fail'
  | 'gate'
  | 'service-start'
  | 'service-stop'
  | 'note';

export interface JournalEntry {
  ts: string;
  runId: string;
  /** The command that ran: `prepare`, `migrate`, `stabilize`, `rollback`, `service start|stop|restart`. */
  command: string;
  event: JournalEvent;
  step?: string;
  detail?: string;
  data?: Record<string, unknown>;
}

export class Journal {
  constructor(
    readonly file: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Appends one entry (one `write` with O_APPEND, so concurrent readers never see half an entry but for a crash). */
  async append(entry: Omit<JournalEntry, 'ts'>): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const line = `${JSON.stringify({ ts: this.clock().toISOString(), ...entry })}\n`;
    await fs.appendFile(this.file, line, { encoding: 'utf8', flag: 'a' });
  }

  /** Every complete entry, oldest first. */
  async read(): Promise<JournalEntry[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        // A line cut short by a kill mid-write: the step it belonged to is redone on resume.
      }
    }
    return entries;
  }
}
