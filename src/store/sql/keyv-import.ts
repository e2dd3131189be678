/**
 * The upgrade of an embedded bot whose ledger and jobs were keyv documents
 * (core/ledger.ts, core/job-store.ts) to the tables. keyv's file is attached to
 * the tables' connection, so one transaction reads the documents and writes the
 * tables and a mark that the import is done: a crash part-way leaves nothing
 * imported, and a restart never imports twice. It runs at start, before
 * anything else writes either file. The documents
 * stay where they were, unread; what an old crash left half-accepted comes over
 * as it was, and the start-up reconciliation (core/acceptance.ts) settles it on
 * the tables.
 */
import { existsSync } from 'node:fs';
import { sql, type Kysely, type Transaction } from 'kysely';
import { upgraded } from '../../core/job-store.js';
import type { LedgerMonth } from '../../core/ledger.js';
import type { Logger } from '../../core/ports.js';
import { TERMINAL_STATES, type JobRecord } from '../../core/types.js';
import { DEFAULT_NAMESPACE } from '../keyv-store.js';
import { importTeamDocuments, TEAM_IMPORT, type KeyvTeamImport } from './keyv-import-teams.js';
import type { Tables } from './schema.js';

const IMPORT = 'keyv-ledger-and-jobs';
/** Rows per INSERT: well under SQLite's limit of bound parameters. */
const CHUNK = 50;

/** A ledger month document as core/ledger.ts writes it. */
type MonthDocument = LedgerMonth;

export interface KeyvImport {
  months: number;
  reservations: number;
  jobs: number;
  active: number;
}

const imported = (db: Kysely<Tables> | Transaction<Tables>, name = IMPORT) => db.selectFrom('store_imports').select('name').where('name', '=', name).executeTakeFirst();

/**
 * Imports the documents of `keyvFile` once: the ledger and jobs, then (keyv-import-teams.ts) the characters
 * and team settings. Returns what the first imported, or undefined when an earlier start already did.
 */
export async function importKeyvDocuments(db: Kysely<Tables>, keyvFile: string, logger: Logger): Promise<KeyvImport | undefined> {
  if ((await imported(db)) && (await imported(db, TEAM_IMPORT))) return undefined;
  // ATTACH cannot run inside a transaction; a fresh in-memory store has no documents to bring.
  const attached = keyvFile !== ':memory:' && existsSync(keyvFile);
  if (attached) await sql`attach database ${keyvFile} as keyv_documents`.execute(db);
  try {
    const counts = await importAttached(db, attached, logger);
    if (!(await imported(db, TEAM_IMPORT))) await importTeamDocuments(db, attached ? 'attached-sqlite' : undefined, logger);
    return counts;
  } finally {
    if (attached) await sql`detach database keyv_documents`.execute(db);
  }
}

async function importAttached(db: Kysely<Tables>, attached: boolean, logger: Logger): Promise<KeyvImport | undefined> {
  const counts = await db.transaction().execute(async (trx) => {
    if (await imported(trx)) return undefined;
    const docs = attached ? await keyvDocuments(trx) : new Map<string, unknown>();
    const counts: KeyvImport = { months: 0, reservations: 0, jobs: 0, active: 0 };
    const months = [...docs.entries()].filter(([key]) => key.startsWith('ledger:')).map(([, doc]) => doc as MonthDocument);
    for (const doc of months.filter((d) => typeof d?.tenant === 'string' && typeof d.month === 'string' && d.total)) {
      counts.months++;
      counts.reservations += await importMonth(trx, doc, logger);
    }
    const ids = (prefix: string) => new Set([...docs.entries()].filter(([key]) => key.startsWith(prefix)).flatMap(([, list]) => list as string[]));
    const active = ids('jobs:active:');
    const listed = ids('jobs:recent:');
    const jobs = [...docs.entries()].filter(([key]) => key.startsWith('job:')).map(([, job]) => upgraded(job as JobRecord));
    const rows = jobs.map((job) => {
      const live = active.has(job.id) && !TERMINAL_STATES.has(job.state);
      if (live) counts.active++;
      return {
        id: job.id,
        tenant: job.tenant,
        state: job.state,
        active: live ? 1 : 0,
        listed: listed.has(job.id) ? 1 : 0,
        // No owner: the process that starts next claims every unfinished job (SqlJobStore.claimActive).
        owner: null,
        created_at: job.createdAt,
        updated_at: job.updatedAt,
        record: JSON.stringify(job),
      };
    });
    for (let i = 0; i < rows.length; i += CHUNK) await trx.insertInto('jobs').values(rows.slice(i, i + CHUNK)).execute();
    counts.jobs = rows.length;
    await trx.insertInto('store_imports').values({ name: IMPORT, done_at: Date.now(), counts: JSON.stringify(counts) }).execute();
    return counts;
  });
  if (counts && (counts.months > 0 || counts.jobs > 0)) logger.info({ imported: counts }, 'moved the ledger and jobs from keyv documents to tables');
  return counts;
}

/** The ledger and job documents in the attached keyv table, by key without the namespace. */
async function keyvDocuments(trx: Transaction<Tables>): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  const present = await sql<{ name: string }>`select name from keyv_documents.sqlite_master where type = 'table' and name = 'keyv'`.execute(trx);
  if (present.rows.length === 0) return out;
  const prefix = `${DEFAULT_NAMESPACE}:`;
  const rows = await sql<{ key: string; value: string }>`select key, value from keyv_documents.keyv where key like ${`${prefix}ledger:%`} or key like ${`${prefix}job%`}`.execute(trx);
  // keyv stores each value as `{"value": …, "expires"?: …}` (src/store/keyv-store.ts serializes with JSON).
  for (const row of rows.rows) out.set(row.key.slice(prefix.length), (JSON.parse(row.value) as { value: unknown }).value);
  return out;
}

/** One month: its two totals, its members, its open reservations and its history; returns the reservations. */
async function importMonth(trx: Transaction<Tables>, doc: MonthDocument, logger: Logger): Promise<number> {
  const { tenant, month } = doc;
  await trx.insertInto('ledger_months').values({ tenant, month, spent: doc.total.spent, reserved: doc.reservedTotal }).execute();
  const members = new Set([...Object.keys(doc.byUser ?? {}), ...Object.keys(doc.reservedByUser ?? {})]);
  const memberRows = [...members].map((userId) => ({
    tenant,
    month,
    user_id: userId,
    name: doc.byUser[userId]?.name ?? userId,
    spent: doc.byUser[userId]?.spent ?? 0,
    reserved: doc.reservedByUser[userId] ?? 0,
  }));
  for (let i = 0; i < memberRows.length; i += CHUNK) await trx.insertInto('ledger_members').values(memberRows.slice(i, i + CHUNK)).execute();
  const open = Object.entries(doc.open ?? {}).map(([jobId, held]) => ({ job_id: jobId, tenant, month, user_id: held.userId, micros: held.micros }));
  for (let i = 0; i < open.length; i += CHUNK) await trx.insertInto('reservations').values(open.slice(i, i + CHUNK)).execute();
  const history = carriedSettlements(doc);
  if (!history.exact) logger.warn({ tenant, month }, "keyv import: the month's per-member and per-backend totals disagree; /cost's breakdown follows the backends");
  const rows = history.lines.map((line, i) => ({ job_id: `carried:${tenant}:${month}:${i}`, tenant, month, ...line }));
  for (let i = 0; i < rows.length; i += CHUNK) await trx.insertInto('settlements').values(rows.slice(i, i + CHUNK)).execute();
  return open.length;
}

type Carried = { user_id: string; backend: string; price: number; official: number; jobs: number };

/**
 * A month document keeps its history as totals per member and per backend, while /cost sums settlement
 * lines (sql-ledger.ts `summary`). Lines that reproduce both sets of totals exactly: the deliveries and the
 * official prices are each spread over (member, backend) pairs by the northwest-corner rule (which meets
 * both margins with non-negative amounts), and each backend's price goes on one of its lines (a member's
 * spending is read from ledger_members, not from these lines).
 */
export function carriedSettlements(doc: Pick<MonthDocument, 'byUser' | 'byBackend'>): { lines: Carried[]; exact: boolean } {
  const users = Object.entries(doc.byUser ?? {});
  const backends = Object.entries(doc.byBackend ?? {});
  const lines = new Map<string, Carried>();
  const at = (userId: string, backend: string) => {
    const key = JSON.stringify([userId, backend]);
    let line = lines.get(key);
    if (!line) lines.set(key, (line = { user_id: userId, backend, price: 0, official: 0, jobs: 0 }));
    return line;
  };
  let exact = true;
  for (const field of ['jobs', 'official'] as const) {
    const spread = northwest(
      users.map(([id, l]) => [id, l[field]]),
      backends.map(([id, l]) => [id, l[field]]),
    );
    exact &&= spread.exact;
    for (const [userId, backend, amount] of spread.cells) at(userId, backend)[field] += amount;
  }
  for (const [backend, line] of backends) {
    if (line.spent === 0) continue;
    const mine = [...lines.values()].find((l) => l.backend === backend) ?? at(users[0]?.[0] ?? '', backend);
    mine.price += line.spent;
  }
  return { lines: [...lines.values()], exact };
}

/** Cells (row, column, amount) whose sums are each row's and each column's amount, when the two totals agree. */
function northwest(rows: [string, number][], columns: [string, number][]): { cells: [string, string, number][]; exact: boolean } {
  const cells: [string, string, number][] = [];
  let i = 0;
  let j = 0;
  let row = rows[0]?.[1] ?? 0;
  let column = columns[0]?.[1] ?? 0;
  while (i < rows.length && j < columns.length) {
    const amount = Math.min(row, column);
    if (amount > 0) cells.push([rows[i]![0], columns[j]![0], amount]);
    row -= amount;
    column -= amount;
    if (row === 0) row = rows[++i]?.[1] ?? 0;
    if (column === 0) column = columns[++j]?.[1] ?? 0;
  }
  // What one side has left over has no partner on the other; the backends' side is what /cost totals.
  for (; j < columns.length; column = columns[++j]?.[1] ?? 0) if (column > 0) cells.push([rows.at(-1)?.[0] ?? '', columns[j]![0], column]);
  const sum = (list: [string, number][]) => list.reduce((a, [, n]) => a + n, 0);
  return { cells, exact: sum(rows) === sum(columns) };
}

/**
 * On Postgres: the characters and team settings from keyv's table in the same database, once across the
 * replicas. (The ledger-and-jobs import above is the embedded SQLite file's only.)
 */
export function importKeyvTeamDocuments(db: Kysely<Tables>, logger: Logger): Promise<KeyvTeamImport | undefined> {
  return importTeamDocuments(db, 'postgres', logger);
}
