/**
 * Boards persisted on every transition, plus the active set a restarted
 * process resumes from and each tenant's recent boards. The port is
 * BoardRepository; on SQLite and Postgres it is a table (src/store/sql
 * `SqlBoardStore`), where replicas sharing it each drive only the boards they
 * own. KeyValueBoardStore keeps them as documents (Redis): few boards are live
 * at once next to thousands of jobs, so one active document is enough there.
 */
import { DocumentCache } from './document-cache.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { KeyValueStore } from './ports.js';
import { TERMINAL_BOARD_STATES, type BoardRecord, type TenantId } from './types.js';

const ACTIVE = 'boards:active';
const RECENT_PER_TENANT = 20;

export interface BoardRepository {
  get(boardId: string): Promise<BoardRecord | undefined>;
  getForTenant(tenant: TenantId, boardId: string): Promise<BoardRecord | undefined>;
  /** The board's intent, active and owned by this process, before its shots are accepted. */
  create(board: BoardRecord): Promise<void>;
  /** Lists an accepted board among its tenant's recent boards. */
  publish(board: BoardRecord): Promise<void>;
  /** Removes a board that was never accepted. */
  discard(board: BoardRecord): Promise<void>;
  /**
   * Persists a move; a terminal state leaves the active set. With `previous`, it writes only if the
   * stored board is still `previous` and throws BoardMovedOn otherwise (job-lifecycle.ts): replicas
   * sharing a database then cannot both make the same move. A store one process owns may ignore it.
   */
  save(board: BoardRecord, previous?: BoardRecord): Promise<void>;
  /**
   * The live boards this process should drive, claimed for it: all of them where one process owns the
   * store; with replicas, its own, unowned ones and those of replicas no longer seen alive, never the
   * boards a live replica is running.
   */
  activeIds(): Promise<string[]>;
  /** The tenant's recent listed boards, newest first. */
  recent(tenant: TenantId): Promise<BoardRecord[]>;
  /** Drops an index entry that names no record, or an ended board a crash left indexed. */
  unindex(boardId: string): Promise<void>;
}

/** Boards as key-value documents, edited under this process's mutex (one process, or Redis). */
export class KeyValueBoardStore implements BoardRepository {
  private readonly mutex = new KeyedMutex();
  private readonly indexes: DocumentCache;

  constructor(private readonly store: KeyValueStore) {
    this.indexes = new DocumentCache(store);
  }

  get(boardId: string): Promise<BoardRecord | undefined> {
    return this.store.get<BoardRecord>(`board:${boardId}`);
  }

  async getForTenant(tenant: TenantId, boardId: string): Promise<BoardRecord | undefined> {
    const board = await this.get(boardId);
    return board && board.tenant === tenant ? board : undefined;
  }

  /** The board's intent: indexed first, then written, as jobs are (see acceptance.ts). */
  async create(board: BoardRecord): Promise<void> {
    await this.editList(ACTIVE, (ids) => (ids.includes(board.id) ? ids : [...ids, board.id]));
    await this.store.set(`board:${board.id}`, board);
  }

  async publish(board: BoardRecord): Promise<void> {
    await this.editList(`boards:recent:${board.tenant}`, (ids) => (ids.includes(board.id) ? ids : [board.id, ...ids].slice(0, RECENT_PER_TENANT)));
  }

  /** Removes a board that was never accepted. */
  async discard(board: BoardRecord): Promise<void> {
    await this.store.delete(`board:${board.id}`);
    await this.editList(ACTIVE, (ids) => ids.filter((id) => id !== board.id));
    await this.editList(`boards:recent:${board.tenant}`, (ids) => ids.filter((id) => id !== board.id));
  }

  async save(board: BoardRecord, _previous?: BoardRecord): Promise<void> {
    await this.store.set(`board:${board.id}`, board);
    if (TERMINAL_BOARD_STATES.has(board.state)) await this.editList(ACTIVE, (ids) => ids.filter((id) => id !== board.id));
  }

  /** Every active board: documents name no owner (replicas share tables, src/store/sql). */
  async activeIds(): Promise<string[]> {
    return (await this.indexes.read<string[]>(ACTIVE)) ?? [];
  }

  async recent(tenant: TenantId): Promise<BoardRecord[]> {
    const ids = (await this.indexes.read<string[]>(`boards:recent:${tenant}`)) ?? [];
    const boards = await Promise.all(ids.map((id) => this.get(id)));
    return boards.filter((b): b is BoardRecord => b !== undefined && b.tenant === tenant);
  }

  /** Drops an index entry that names no record, or an ended board a crash left indexed. */
  async unindex(boardId: string): Promise<void> {
    await this.editList(ACTIVE, (ids) => ids.filter((id) => id !== boardId));
  }

  private editList(key: string, edit: (ids: string[]) => string[]): Promise<void> {
    return this.mutex.run(key, async () => {
      const ids = (await this.indexes.read<string[]>(key)) ?? [];
      await this.indexes.write(key, edit(ids));
    });
  }
}
