/**
 * A Kysely dialect over `sqlite3`, the driver the bot already ships (through
 * @keyv/sqlite). Kysely's own SqliteDialect wants better-sqlite3's synchronous
 * API; better-sqlite3 would be a second native build of SQLite in the install,
 * and README "Storage" says why we kept one (install time measured there).
 *
 * SQLite has one writer at a time, so this driver keeps one connection and
 * hands it to one query or transaction at a time, as Kysely's own SQLite driver
 * does. Transactions start with BEGIN IMMEDIATE: the write lock is taken at the
 * start, so a transaction never fails half-way on another connection's lock
 * (a reader such as a test's, or an operator's sqlite3 shell) and waits
 * busy_timeout instead. keyv's documents live in a file of their own
 * (database.ts `tablesFileOf` says why).
 */
import sqlite3 from 'sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';

const BUSY_TIMEOUT_MS = 5_000;

class Sqlite3Connection implements DatabaseConnection {
  constructor(private readonly db: sqlite3.Database) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const parameters = query.parameters.map((p) => (typeof p === 'boolean' ? Number(p) : p));
    const node = query.query as { kind?: string; returning?: unknown };
    const reads = node.kind === 'SelectQueryNode' || node.returning !== undefined || /^\s*(select|pragma|with)\b/i.test(query.sql);
    return new Promise((resolve, reject) => {
      if (reads) {
        this.db.all(query.sql, parameters, (error, rows) => (error ? reject(error) : resolve({ rows: rows as R[] })));
      } else {
        this.db.run(query.sql, parameters, function (this: sqlite3.RunResult, error: Error | null) {
          if (error) return reject(error);
          resolve({ rows: [], numAffectedRows: BigInt(this.changes), insertId: BigInt(this.lastID) });
        });
      }
    });
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('The SQLite store does not stream query results.');
  }
}

class Sqlite3Driver implements Driver {
  private db: sqlite3.Database | undefined;
  private connection: Sqlite3Connection | undefined;
  /** The tail of the queue of callers waiting for the one connection. */
  private queue: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(private readonly file: string) {}

  async init(): Promise<void> {
    this.db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const db = new sqlite3.Database(this.file, (error) => (error ? reject(error) : resolve(db)));
    });
    this.db.configure('busyTimeout', BUSY_TIMEOUT_MS);
    this.connection = new Sqlite3Connection(this.db);
    // Same pairing as the keyv store on this file (src/store/keyv-store.ts says why).
    await this.connection.executeQuery(CompiledQuery.raw('PRAGMA journal_mode=WAL'));
    await this.connection.executeQuery(CompiledQuery.raw('PRAGMA synchronous=NORMAL'));
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.release = release;
    return this.connection!;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async releaseConnection(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) await new Promise<void>((resolve, reject) => db.close((error) => (error ? reject(error) : resolve())));
  }
}

export class Sqlite3Dialect implements Dialect {
  constructor(private readonly file: string) {}
  createAdapter() {
    return new SqliteAdapter();
  }
  createDriver(): Driver {
    return new Sqlite3Driver(this.file);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}
