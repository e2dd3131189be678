/**
 * Seen keys in a table: one statement decides, so two copies of a request
 * arriving at two replicas at once cannot both pass (Postgres re-checks the
 * conflict against the row the other inserted), and on SQLite it is a
 * synchronous statement of microseconds instead of a keyv read and write on
 * sqlite3's thread pool ahead of Discord's acknowledgement. A key seen longer
 * ago than its time is new again: the insert takes the expired row over.
 * `purge` drops expired rows now and then.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { SeenKeys } from '../../core/ports.js';
import type { Tables } from './schema.js';

export class SqlSeenKeys implements SeenKeys {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  async first(key: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const result = await this.db
      .insertInto('seen_keys')
      .values({ key, expires_at: now + ttlMs })
      .onConflict((c) => c.column('key').doUpdateSet({ expires_at: now + ttlMs }).where('seen_keys.expires_at', '<=', now))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  /** Removes the keys whose time is over; returns how many. */
  async purge(): Promise<number> {
    const result = await this.db.deleteFrom('seen_keys').where('expires_at', '<=', this.clock.now()).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** Rows per INSERT when remembered keys are written: 2 parameters each, far below SQLite's limit. */
const WRITE_BATCH = 500;

/**
 * The seen keys of the one process that owns a SQLite file: it decides from memory, which is
 * exact there (nobody else writes the file), and writes the keys to the table behind the decision,
 * one batch once the arrivals pause (`afterArrivals`: the bot's quiet-turns.ts; by default the next
 * turn of the event loop), so they outlive a restart. Under a burst a batch per loop turn was a
 * statement per command or two, compiled and run between the arrivals' defers. A Discord interaction's check then
 * costs no statement before its defer; as one statement each, queued on the file's one connection
 * behind the acceptances of a burst, the checks had every defer wait (README "Performance").
 * A kill can lose the keys of the last moment before it; those requests were answered already,
 * and a platform sends an answered request no second time (Discord takes one answer per interaction,
 * Slack retries only what it got no answer to).
 */
export class OwnedSeenKeys implements SeenKeys {
  private readonly memory = new Map<string, number>();
  private unwritten: Array<{ key: string; expires_at: number }> = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
    private readonly afterArrivals: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve)),
  ) {}

  /** The keys still in force from before this start. */
  async load(): Promise<void> {
    const rows = await this.db.selectFrom('seen_keys').select(['key', 'expires_at']).where('expires_at', '>', this.clock.now()).execute();
    for (const row of rows) this.memory.set(row.key, Number(row.expires_at));
  }

  async first(key: string, ttlMs: number): Promise<boolean> {
    const now = this.clock.now();
    const until = this.memory.get(key);
    if (until !== undefined && until > now) return false;
    this.memory.set(key, now + ttlMs);
    if (this.unwritten.length === 0) void this.afterArrivals().then(() => this.write());
    this.unwritten.push({ key, expires_at: now + ttlMs });
    return true;
  }

  /** Writes what is decided and not yet written (also at shutdown). */
  flush(): Promise<void> {
    return this.write();
  }

  private write(): Promise<void> {
    const batch = this.unwritten;
    this.unwritten = [];
    this.writing = this.writing.then(async () => {
      for (let i = 0; i < batch.length; i += WRITE_BATCH) {
        const rows = batch.slice(i, i + WRITE_BATCH);
        await this.db
          .insertInto('seen_keys')
          .values(rows)
          .onConflict((c) => c.column('key').doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') })))
          .execute()
          .catch(this.onError);
      }
    });
    return this.writing;
  }

  /** Forgets the keys whose time is over, here and in the table; returns how many rows went. */
  async purge(): Promise<number> {
    const now = this.clock.now();
    for (const [key, until] of this.memory) if (until <= now) this.memory.delete(key);
    const result = await this.db.deleteFrom('seen_keys').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
