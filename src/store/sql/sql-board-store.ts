/**
 * Storyboards in a table: the record as JSON plus the columns the queries use,
 * and the replica that drives each one. Replicas sharing the database each
 * drive only their own boards, unowned ones and those of replicas no longer
 * seen alive (the heartbeat in sql-job-store.ts): as keyv documents every
 * replica resumed every active board at start, so a replica joining during a
 * rolling deploy could retry a shot or post a board's video a second time
 * while its owner did the same. Every write of a move is a compare-and-set on
 * the stored record, as for jobs.
 */
import type { Kysely } from 'kysely';
import type { BoardRepository } from '../../core/board-store.js';
import { BoardMovedOn } from '../../core/job-lifecycle.js';
import { TERMINAL_BOARD_STATES, type BoardRecord, type TenantId } from '../../core/types.js';
import type { Tables } from './schema.js';
import type { Replica } from './sql-job-store.js';

/** As many as the key-value store's recent list holds (core/board-store.ts). */
const RECENT_PER_TENANT = 20;

const parse = (row: { record: string } | undefined): BoardRecord | undefined => (row ? (JSON.parse(row.record) as BoardRecord) : undefined);

export class SqlBoardStore implements BoardRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly replica: Replica,
  ) {}

  async get(boardId: string): Promise<BoardRecord | undefined> {
    return parse(await this.db.selectFrom('boards').select('record').where('id', '=', boardId).executeTakeFirst());
  }

  async getForTenant(tenant: TenantId, boardId: string): Promise<BoardRecord | undefined> {
    return parse(await this.db.selectFrom('boards').select('record').where('id', '=', boardId).where('tenant', '=', tenant).executeTakeFirst());
  }

  async create(board: BoardRecord): Promise<void> {
    const record = JSON.stringify(board);
    const row = {
      id: board.id,
      tenant: board.tenant,
      state: board.state,
      active: 1,
      listed: 0,
      owner: this.replica.id,
      created_at: board.createdAt,
      updated_at: board.updatedAt,
      record,
    };
    await this.db
      .insertInto('boards')
      .values(row)
      .onConflict((c) => c.column('id').doUpdateSet({ record, state: row.state, updated_at: row.updated_at, active: 1, owner: row.owner }))
      .execute();
  }

  async publish(board: BoardRecord): Promise<void> {
    await this.db.updateTable('boards').set({ listed: 1 }).where('id', '=', board.id).execute();
  }

  async discard(board: BoardRecord): Promise<void> {
    await this.db.deleteFrom('boards').where('id', '=', board.id).execute();
  }

  async save(board: BoardRecord, previous?: BoardRecord): Promise<void> {
    const change = { record: JSON.stringify(board), state: board.state, updated_at: board.updatedAt, ...(TERMINAL_BOARD_STATES.has(board.state) && { active: 0 }) };
    let update = this.db.updateTable('boards').set(change).where('id', '=', board.id);
    // The stored record is JSON.stringify of what `get` parsed, byte for byte: of two replicas making
    // the same move from the same read, exactly one writes.
    if (previous) update = update.where('record', '=', JSON.stringify(previous));
    const updated = await update.executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw previous ? new BoardMovedOn(board.id) : new Error(`board ${board.id} vanished from the store`);
  }

  async unindex(boardId: string): Promise<void> {
    await this.db.updateTable('boards').set({ active: 0 }).where('id', '=', boardId).execute();
  }

  /** At start: this replica's own live boards (from before a restart), unowned ones and orphans. */
  activeIds(): Promise<string[]> {
    return this.claim(true);
  }

  /** Later: only the boards of replicas no longer seen alive (this replica's own are already driven). */
  claimOrphans(db: Kysely<Tables> = this.db): Promise<string[]> {
    return this.claim(false, db);
  }

  /**
   * One UPDATE, as SqlJobStore's claim: when two replicas claim at once, Postgres re-checks the
   * second's WHERE after the first commits (the owner is then alive), so each orphan gets exactly one
   * new owner. On SQLite one process owns the file and no replica beats: every live board is its own.
   */
  private async claim(own: boolean, db: Kysely<Tables> = this.db): Promise<string[]> {
    const me = this.replica.id;
    const alive = db.selectFrom('replicas').select('id').where('seen_at', '>=', this.replica.now() - this.replica.timeoutMs);
    const rows = await db
      .updateTable('boards')
      .set({ owner: me })
      .where('active', '=', 1)
      .where((eb) => eb.or([eb('owner', 'is', null), ...(own ? [eb('owner', '=', me)] : []), eb.and([eb('owner', '!=', me), eb('owner', 'not in', alive)])]))
      .returning(['id', 'created_at'])
      .execute();
    return rows.sort((a, b) => Number(a.created_at) - Number(b.created_at)).map((r) => r.id);
  }

  async recent(tenant: TenantId): Promise<BoardRecord[]> {
    const rows = await this.db
      .selectFrom('boards')
      .select('record')
      .where('tenant', '=', tenant)
      .where('listed', '=', 1)
      .orderBy('created_at', 'desc')
      .limit(RECENT_PER_TENANT)
      .execute();
    return rows.map((r) => parse(r)!);
  }
}
