import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** One line of a bulk run's journal. */
export type JournalEntry =
  | {
      readonly event: 'started';
      readonly secretArn: string;
      readonly executionArn: string;
      readonly at: string;
    }
  | {
      readonly event: 'ended';
      readonly secretArn: string;
      readonly executionArn: string;
      readonly status: string;
      readonly error?: string;
      readonly cause?: string;
      readonly at: string;
    }
  | {
      readonly event: 'not-started';
      readonly secretArn: string;
      readonly error: string;
      readonly at: string;
    };

/** Where a secret stands in a bulk run, from its last journal entry. */
export type JournalState = JournalEntry | undefined;

/**
 * The journal of a bulk run: one JSON line per event, appended as it happens (an interrupted run
 * loses at most the line being written), read back to resume. It holds secret ARNs, execution ARNs
 * and outcomes, never a secret value.
 */
export class Journal {
  readonly path: string;
  readonly #last = new Map<string, JournalEntry>();

  private constructor(path: string) {
    this.path = path;
  }

  /** Opens a journal, reading what an earlier run of the same command wrote. */
  static open(path: string): Journal {
    const journal = new Journal(path);
    if (existsSync(path)) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const entry = JSON.parse(line) as JournalEntry;
          journal.#last.set(entry.secretArn, entry);
        } catch {
          // A line cut short by an interruption: the run re-checks that secret.
        }
      }
    }
    return journal;
  }

  /** Whether an earlier run wrote anything. */
  get resumed(): boolean {
    return this.#last.size > 0;
  }

  /** The last event of a secret. */
  state(secretArn: string): JournalState {
    return this.#last.get(secretArn);
  }

  /** Appends an event. */
  write(entry: JournalEntry): void {
    this.#last.set(entry.secretArn, entry);
    appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }
}
