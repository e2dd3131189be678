/**
 * A Kysely dialect over better-sqlite3 for the ledger and job tables. Kysely's
 * own SqliteDialect is better-sqlite3's too; this one differs where the store
 * needs it:
 * - transactions start with BEGIN IMMEDIATE: the write lock is taken at the
 *   start, so a transaction never fails half-way on another connection's lock
 *   (a test's reader, an operator's sqlite3 shell) and waits busy_timeout instead;
 * - prepared statements are kept and reused (Kysely's prepares every call);
 * - booleans are bound as 0/1 (better-sqlite3 refuses them).
 *
 * better-sqlite3 is synchronous: a statement runs on the event loop's thread,
 * about 10× faster than `sqlite3`'s trip to libuv's worker pool per statement
 * (figures: README "Running several replicas"). An acceptance's transaction of
 * 9 statements then runs start to end without yielding, so a burst's
 * acceptances no longer queue behind each other's pool trips before the Discord
 * defer. The catch is that a wait for another process's write lock would block
 * the loop; one process owns the tables' file, and keyv's documents live in a
 * file of their own (database.ts `tablesFileOf`), so nothing in the bot waits.
 */
import Database from 'better-sqlite3';
import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

const BUSY_TIMEOUT_MS = 5_000;
/** Kysely's SQL text for one query shape is stable, so a few hundred cover every shape the store runs. */
const STATEMENT_CACHE_SIZE = 256;

class BetterSqliteConnection implements DatabaseConnection {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  private prepared(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (statement) return statement;
    statement = this.db.prepare(text);
    if (this.statements.size >= STATEMENT_CACHE_SIZE) this.statements.delete(this.statements.keys().next().value!);
    this.statements.set(text, statement);
    return statement;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const parameters = query.parameters.map((p) => (typeof p === 'boolean' ? Number(p) : p));
    const statement = this.prepared(query.sql);
    // `reader` is true for SELECT, PRAGMA and any statement with RETURNING.
    if (statement.reader) return { rows: statement.all(parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('The SQLite store does not stream query results.');
  }
}

class BetterSqliteDriver implements Driver {
  private db: Database.Database | undefined;
  private connection: BetterSqliteConnection | undefined;
  /** The tail of the queue of callers waiting for the one connection (SQLite has one writer). */
  private queue: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(private readonly file: string) {}

  async init(): Promise<void> {
    this.db = new Database(this.file, { timeout: BUSY_TIMEOUT_MS });
    // Same pairing as the keyv store on its file (src/store/keyv-store.ts says why).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.connection = new BetterSqliteConnection(this.db);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    return this.connection!;
  }

  async beginTransaction(): Promise<void> {
    this.db!.exec('BEGIN IMMEDIATE');
  }

  async commitTransaction(): Promise<void> {
    this.db!.exec('COMMIT');
  }

  async rollbackTransaction(): Promise<void> {
    this.db!.exec('ROLLBACK');
  }

  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    db?.close();
  }
}

export class BetterSqliteDialect implements Dialect {
  constructor(private readonly file: string) {}
  createAdapter() {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new BetterSqliteDriver(this.file);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}
