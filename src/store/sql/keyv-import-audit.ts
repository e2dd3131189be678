/**
 * The upgrade of an audit trail kept as key-value pages (core/audit-log.ts
 * `PagedAuditLog`: a head `audit:<team>:<month>` counting the pages, each page
 * `audit:<team>:<month>:<n>` a list of entries) to the audit_entries table.
 * On SQLite the pages are in keyv's own file, attached for the import; on
 * Postgres they are in the keyv table of the same database. One transaction
 * writes the entries in their order and marks the import done, so a crash
 * part-way imports nothing and no start imports twice; on Postgres an advisory
 * lock makes replicas starting together import once. A page its head does not
 * count yet is what a crash left between the two writes; PagedAuditLog would
 * have written it again from empty, so it is not imported either.
 */
import { existsSync } from 'node:fs';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AuditEntry } from '../../core/audit-log.js';
import type { Logger } from '../../core/ports.js';
import { DEFAULT_NAMESPACE } from '../keyv-store.js';
import type { AuditEntriesTable, Tables } from './schema.js';

const IMPORT = 'keyv-audit';
/** Rows per INSERT: well under SQLite's limit of bound parameters. */
const CHUNK = 100;
/** pg_advisory_xact_lock's key for this import: any constant no other lock of the bot uses. */
const LOCK = 7_240_601;

const HEAD = /^audit:(.+):(\d{4}-\d{2})$/;

/** Where the key-value documents are, as seen from the tables' connection. */
type Source = { engine: 'sqlite'; keyvFile: string } | { engine: 'postgres' };

/** Imports the key-value audit pages once; returns how many entries, or undefined when a start already did. */
export async function importKeyvAudit(db: Kysely<Tables>, source: Source, logger: Logger): Promise<number | undefined> {
  if (await imported(db)) return undefined;
  const attached = source.engine === 'sqlite' && source.keyvFile !== ':memory:' && existsSync(source.keyvFile);
  // ATTACH cannot run inside a transaction.
  if (attached) await sql`attach database ${source.keyvFile} as keyv_audit`.execute(db);
  try {
    const count = await db.transaction().execute(async (trx) => {
      if (source.engine === 'postgres') await sql`select pg_advisory_xact_lock(${LOCK})`.execute(trx);
      if (await imported(trx)) return undefined;
      const docs = source.engine === 'postgres' ? await postgresPages(trx) : attached ? await sqlitePages(trx) : new Map<string, unknown>();
      const rows = entryRows(docs);
      for (let i = 0; i < rows.length; i += CHUNK) await trx.insertInto('audit_entries').values(rows.slice(i, i + CHUNK)).execute();
      await trx.insertInto('store_imports').values({ name: IMPORT, done_at: Date.now(), counts: JSON.stringify({ entries: rows.length }) }).execute();
      return rows.length;
    });
    if (count) logger.info({ entries: count }, 'moved the audit trail from key-value pages to a table');
    return count;
  } finally {
    if (attached) await sql`detach database keyv_audit`.execute(db);
  }
}

const imported = (db: Kysely<Tables> | Transaction<Tables>) => db.selectFrom('store_imports').select('name').where('name', '=', IMPORT).executeTakeFirst();

const PREFIX = `${DEFAULT_NAMESPACE}:`;
const LIKE = `${PREFIX}audit:%`;

/** keyv stores each value as `{"value": …, "expires"?: …}` (src/store/keyv-store.ts serializes with JSON). */
function collect(rows: { key: string; value: string }[]): Map<string, unknown> {
  return new Map(rows.map((r) => [r.key.slice(PREFIX.length), (JSON.parse(r.value) as { value: unknown }).value]));
}

async function sqlitePages(trx: Transaction<Tables>): Promise<Map<string, unknown>> {
  const present = await sql<{ name: string }>`select name from keyv_audit.sqlite_master where type = 'table' and name = 'keyv'`.execute(trx);
  if (present.rows.length === 0) return new Map();
  return collect((await sql<{ key: string; value: string }>`select key, value from keyv_audit.keyv where key like ${LIKE}`.execute(trx)).rows);
}

async function postgresPages(trx: Transaction<Tables>): Promise<Map<string, unknown>> {
  // The keyv table (src/store/keyv-store.ts, `table` default `keyv`) is in the same schema, when keyv ever ran.
  const present = await sql<{ table: string | null }>`select to_regclass('keyv')::text as table`.execute(trx);
  if (!present.rows[0]?.table) return new Map();
  return collect((await sql<{ key: string; value: string }>`select key, value from keyv where key like ${LIKE}`.execute(trx)).rows);
}

/** The rows of every counted page, month by month, in the order they were appended. */
export function entryRows(docs: Map<string, unknown>): Omit<AuditEntriesTable, 'seq'>[] {
  const rows: Omit<AuditEntriesTable, 'seq'>[] = [];
  const heads = [...docs.entries()]
    .map(([key, doc]) => ({ match: HEAD.exec(key), pages: (doc as { pages?: unknown } | undefined)?.pages }))
    .filter((h): h is { match: RegExpExecArray; pages: number } => h.match !== null && Number.isInteger(h.pages))
    .sort((a, b) => a.match[2]!.localeCompare(b.match[2]!) || a.match[1]!.localeCompare(b.match[1]!));
  for (const { match, pages } of heads) {
    const [, tenant, month] = match as unknown as [string, string, string];
    for (let page = 0; page < pages; page++) {
      const entries = docs.get(`audit:${tenant}:${month}:${page}`);
      if (!Array.isArray(entries)) continue;
      for (const e of entries as AuditEntry[]) {
        rows.push({ tenant, month, by_id: e.by?.id ?? 'unknown', member_id: e.member?.id ?? null, entry: JSON.stringify(e) });
      }
    }
  }
  return rows;
}
