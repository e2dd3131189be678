/**
 * Work that must happen once across the cluster, not once per replica: the
 * media retention sweep walks one shared bucket, and N replicas walking it
 * every interval would be N times the listing calls for nothing.
 *
 * Each replica still asks on its own timer; one conditional UPDATE per chore
 * lets exactly one of them through per interval (the row's `due_at` moves on
 * only for the replica whose UPDATE matched). A replica that dies while holding
 * a chore holds nothing: the next one to ask after `due_at` runs it, so a chore
 * must be idempotent, as the sweep is.
 */
import type { Kysely } from 'kysely';
import type { Tables } from './schema.js';

export class SqlChores {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly replicaId: string,
  ) {}

  /**
   * True for exactly one caller per interval across all replicas. The interval is shortened by a tenth so
   * that the replica holding a chore, asking again on its own timer a little early, keeps it instead of
   * letting another one take every second turn.
   */
  async claim(name: string, now: number, intervalMs: number): Promise<boolean> {
    await this.db.insertInto('chores').values({ name, due_at: 0, holder: null }).onConflict((c) => c.column('name').doNothing()).execute();
    const result = await this.db
      .updateTable('chores')
      .set({ due_at: now + Math.floor(intervalMs * 0.9), holder: this.replicaId })
      .where('name', '=', name)
      .where('due_at', '<=', now)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }
}
