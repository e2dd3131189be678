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
