/**
 * Boards persisted on every transition, plus the active index a restarted
 * process resumes from and each tenant's recent boards. Few boards are live
 * at once next to thousands of jobs, so one active document is enough.
 */
import { DocumentCache } from './document-cache.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { KeyValueStore } from './ports.js';
import { TERMINAL_BOARD_STATES, type BoardRecord, type TenantId } from './types.js';

const ACTIVE = 'boards:active';
const RECENT_PER_TENANT = 20;

export class BoardStore {
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

  async save(board: BoardRecord): Promise<void> {
    await this.store.set(`board:${board.id}`, board);
    if (TERMINAL_BOARD_STATES.has(board.state)) await this.editList(ACTIVE, (ids) => ids.filter((id) => id !== board.id));
  }

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
