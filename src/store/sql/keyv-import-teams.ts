/**
 * The second upgrade from keyv documents: each team's characters and settings,
 * one document per team (`characters:<tenant>`, `settings:<tenant>`), to their
 * tables (migration 0006). A name of its own in `store_imports`, so a DATA_DIR
 * that already ran the ledger-and-jobs import (keyv-import.ts) still runs this
 * one. On SQLite the keyv file is attached as `keyv_documents` (keyv-import.ts
 * does that); on Postgres keyv's table `keyv` is in the same database and schema
 * as the tables (src/store/keyv-store.ts follows the URL's search_path for both).
 * The mark is written first, in the same transaction: a second replica starting
 * at once waits on its key and then finds the import done.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from '../../core/ports.js';
import type { TenantSettings } from '../../core/tenant-settings.js';
import type { Character } from '../../core/types.js';
import { DEFAULT_NAMESPACE } from '../keyv-store.js';
import type { Tables } from './schema.js';

export const TEAM_IMPORT = 'keyv-characters-and-settings';
/** Rows per INSERT: well under SQLite's limit of bound parameters. */
const CHUNK = 50;

export interface KeyvTeamImport {
  characters: number;
  settings: number;
}

/** Where the keyv documents are: the attached SQLite file, keyv's Postgres table, or nowhere (a fresh store). */
export type KeyvSource = 'attached-sqlite' | 'postgres' | undefined;

/** Imports the characters and settings documents once; undefined when an earlier start (or another replica) did. */
export async function importTeamDocuments(db: Kysely<Tables>, source: KeyvSource, logger: Logger): Promise<KeyvTeamImport | undefined> {
  const counts = await db.transaction().execute(async (trx) => {
    const marked = await trx
      .insertInto('store_imports')
      .values({ name: TEAM_IMPORT, done_at: Date.now(), counts: '{}' })
      .onConflict((c) => c.column('name').doNothing())
      .executeTakeFirst();
    if (marked.numInsertedOrUpdatedRows !== 1n) return undefined;
    const docs = await teamDocuments(trx, source);
    const characters = docs
      .filter(([key]) => key.startsWith('characters:'))
      .flatMap(([, doc]) => Object.values((doc ?? {}) as Record<string, Character>))
      .filter((c) => typeof c?.tenant === 'string' && typeof c.key === 'string')
      .map((c) => ({ tenant: c.tenant, key: c.key, record: JSON.stringify({ ...c, bindings: c.bindings ?? {} }), version: 1 }));
    const settings = docs
      .filter(([key, doc]) => key.startsWith('settings:') && doc && typeof doc === 'object')
      .map(([key, doc]) => ({ tenant: key.slice('settings:'.length), settings: JSON.stringify(doc as TenantSettings), version: 1 }));
    for (let i = 0; i < characters.length; i += CHUNK) {
      await trx.insertInto('characters').values(characters.slice(i, i + CHUNK)).onConflict((c) => c.columns(['tenant', 'key']).doNothing()).execute();
    }
    for (let i = 0; i < settings.length; i += CHUNK) {
      await trx.insertInto('team_settings').values(settings.slice(i, i + CHUNK)).onConflict((c) => c.column('tenant').doNothing()).execute();
    }
    const counts: KeyvTeamImport = { characters: characters.length, settings: settings.length };
    await trx.updateTable('store_imports').set({ counts: JSON.stringify(counts) }).where('name', '=', TEAM_IMPORT).execute();
    return counts;
  });
  if (counts && (counts.characters > 0 || counts.settings > 0)) logger.info({ imported: counts }, 'moved characters and team settings from keyv documents to tables');
  return counts;
}

/** The characters and settings documents, by key without the namespace. */
async function teamDocuments(trx: Transaction<Tables>, source: KeyvSource): Promise<[string, unknown][]> {
  if (!source) return [];
  const prefix = `${DEFAULT_NAMESPACE}:`;
  const [characters, settings] = [`${prefix}characters:%`, `${prefix}settings:%`];
  let rows: { key: string; value: string }[];
  if (source === 'attached-sqlite') {
    const present = await sql<{ name: string }>`select name from keyv_documents.sqlite_master where type = 'table' and name = 'keyv'`.execute(trx);
    if (present.rows.length === 0) return [];
    rows = (await sql<{ key: string; value: string }>`select key, value from keyv_documents.keyv where key like ${characters} or key like ${settings}`.execute(trx)).rows;
  } else {
    const present = await sql<{ found: string | null }>`select to_regclass('keyv')::text as found`.execute(trx);
    if (!present.rows[0]?.found) return [];
    rows = (await sql<{ key: string; value: string }>`select key, value from keyv where key like ${characters} or key like ${settings}`.execute(trx)).rows;
  }
  // keyv stores each value as `{"value": …, "expires"?: …}` (src/store/keyv-store.ts serializes with JSON).
  return rows.map((row) => [row.key.slice(prefix.length), (JSON.parse(row.value) as { value: unknown }).value]);
}
