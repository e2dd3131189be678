/**
 * The upgrade of storyboards kept as keyv documents (core/board-store.ts
 * `KeyValueBoardStore`: `board:<id>`, the `boards:active` list and each team's
 * `boards:recent:<tenant>` list) to the boards table (migration 0008). On
 * SQLite keyv's file is attached for the import; on Postgres keyv's table is in
 * the same database and schema (src/store/keyv-store.ts follows the URL's
 * search_path for both). The mark in `store_imports` is written first, in the
 * same transaction as the rows: a crash part-way imports nothing, and a second
 * replica starting at once waits on the mark's key and then finds it done.
 * Imported boards have no owner: the first replica to start claims the live
 * ones (SqlBoardStore.activeIds).
 */
import { existsSync } from 'node:fs';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from '../../core/ports.js';
import { TERMINAL_BOARD_STATES, type BoardRecord } from '../../core/types.js';
import { DEFAULT_NAMESPACE } from '../keyv-store.js';
import type { BoardsTable, Tables } from './schema.js';

export const BOARD_IMPORT = 'keyv-boards';
/** Rows per INSERT: well under SQLite's limit of bound parameters. */
const CHUNK = 50;

/** Where the key-value documents are, as seen from the tables' connection. */
type Source = { engine: 'sqlite'; keyvFile: string } | { engine: 'postgres' };

export interface KeyvBoardImport {
  boards: number;
  active: number;
}

/** Imports the storyboard documents once; undefined when an earlier start (or another replica) did. */
export async function importKeyvBoards(db: Kysely<Tables>, source: Source, logger: Logger): Promise<KeyvBoardImport | undefined> {
  if (await db.selectFrom('store_imports').select('name').where('name', '=', BOARD_IMPORT).executeTakeFirst()) return undefined;
  const attached = source.engine === 'sqlite' && source.keyvFile !== ':memory:' && existsSync(source.keyvFile);
  // ATTACH cannot run inside a transaction.
  if (attached) await sql`attach database ${source.keyvFile} as keyv_boards`.execute(db);
  try {
    const counts = await db.transaction().execute(async (trx) => {
      const marked = await trx
        .insertInto('store_imports')
        .values({ name: BOARD_IMPORT, done_at: Date.now(), counts: '{}' })
        .onConflict((c) => c.column('name').doNothing())
        .executeTakeFirst();
      if (marked.numInsertedOrUpdatedRows !== 1n) return undefined;
      const rows = boardRows(source.engine === 'postgres' ? await postgresDocuments(trx) : attached ? await sqliteDocuments(trx) : new Map());
      for (let i = 0; i < rows.length; i += CHUNK) await trx.insertInto('boards').values(rows.slice(i, i + CHUNK)).onConflict((c) => c.column('id').doNothing()).execute();
      const counts: KeyvBoardImport = { boards: rows.length, active: rows.filter((r) => r.active === 1).length };
      await trx.updateTable('store_imports').set({ counts: JSON.stringify(counts) }).where('name', '=', BOARD_IMPORT).execute();
      return counts;
    });
    if (counts && counts.boards > 0) logger.info({ imported: counts }, 'moved the storyboards from keyv documents to a table');
    return counts;
  } finally {
    if (attached) await sql`detach database keyv_boards`.execute(db);
  }
}

/** One row per board document: active while the active list names it and it has not ended; listed while a recent list does. */
export function boardRows(docs: Map<string, unknown>): BoardsTable[] {
  const listOf = (doc: unknown) => (Array.isArray(doc) ? (doc as string[]) : []);
  const active = new Set(listOf(docs.get('boards:active')));
  const listed = new Set([...docs.entries()].filter(([key]) => key.startsWith('boards:recent:')).flatMap(([, doc]) => listOf(doc)));
  return [...docs.entries()]
    .filter(([key, doc]) => key.startsWith('board:') && typeof (doc as BoardRecord | undefined)?.id === 'string')
    .map(([, doc]) => {
      const board = doc as BoardRecord;
      return {
        id: board.id,
        tenant: board.tenant,
        state: board.state,
        active: active.has(board.id) && !TERMINAL_BOARD_STATES.has(board.state) ? 1 : 0,
        listed: listed.has(board.id) ? 1 : 0,
        owner: null,
        created_at: board.createdAt,
        updated_at: board.updatedAt,
        record: JSON.stringify(board),
      };
    });
}

const PREFIX = `${DEFAULT_NAMESPACE}:`;
const [BOARD, BOARDS] = [`${PREFIX}board:%`, `${PREFIX}boards:%`];

/** keyv stores each value as `{"value": …, "expires"?: …}` (src/store/keyv-store.ts serializes with JSON). */
function collect(rows: { key: string; value: string }[]): Map<string, unknown> {
  return new Map(rows.map((r) => [r.key.slice(PREFIX.length), (JSON.parse(r.value) as { value: unknown }).value]));
}

async function sqliteDocuments(trx: Transaction<Tables>): Promise<Map<string, unknown>> {
  const present = await sql<{ name: string }>`select name from keyv_boards.sqlite_master where type = 'table' and name = 'keyv'`.execute(trx);
  if (present.rows.length === 0) return new Map();
  return collect((await sql<{ key: string; value: string }>`select key, value from keyv_boards.keyv where key like ${BOARD} or key like ${BOARDS}`.execute(trx)).rows);
}

async function postgresDocuments(trx: Transaction<Tables>): Promise<Map<string, unknown>> {
  const present = await sql<{ found: string | null }>`select to_regclass('keyv')::text as found`.execute(trx);
  if (!present.rows[0]?.found) return new Map();
  return collect((await sql<{ key: string; value: string }>`select key, value from keyv where key like ${BOARD} or key like ${BOARDS}`.execute(trx)).rows);
}
