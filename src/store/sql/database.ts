/**
 * One persistence layer for both engines: Kysely over Postgres (pg's Pool) or
 * over the embedded SQLite file (better-sqlite3, sqlite-driver.ts). The ledger and job tables
 * (sql-ledger.ts, sql-job-store.ts) are written once against it.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Kysely, sql } from 'kysely';
import type pg from 'pg';
import { StoreUnavailable } from '../../core/errors.js';
import { keyvFileOf } from '../keyv-store.js';
import type { Logger } from '../../log.js';
import { migrate } from './migrations.js';
import { OwnSchemaPostgresDialect } from './postgres-dialect.js';
import type { Tables } from './schema.js';
import { BetterSqliteDialect } from './sqlite-driver.js';

export type SqlEngine = 'postgres' | 'sqlite';

export interface SqlDatabase {
  db: Kysely<Tables>;
  engine: SqlEngine;
  /** The Postgres pool, for LISTEN/NOTIFY (src/store/pg-events.ts); undefined on SQLite. */
  pool: pg.Pool | undefined;
  /**
   * The replica's heartbeat, on a connection of its own on Postgres: behind a pool busy with a burst, a
   * heartbeat waited its turn long enough for the other replicas to take this live one for dead.
   */
  heartbeatDb: Kysely<Tables>;
  close(): Promise<void>;
}

export interface SqlOptions {
  dataDir: string;
  logger: Logger;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
  /** Enough for the burst of acceptances one process takes at once; Postgres' default limit is 100. */
  poolSize?: number;
}

export function sqlEngineOf(url: string): SqlEngine | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'sqlite') return 'sqlite';
  return undefined;
}

/**
 * The tables' file beside keyv's: `bot.sqlite` → `bot-tables.sqlite`. Not the same file: node-sqlite3 runs
 * each statement on libuv's pool of 4 threads, and keyv statements waiting out busy_timeout for a write lock
 * the tables' connection held occupied all 4, so that connection's COMMIT never got a thread until they
 * failed with SQLITE_BUSY (a 40-command burst stalled on it in test/e2e/acceptance-crash.test.ts). The tables
 * are on better-sqlite3 now, which is synchronous: its wait for a lock keyv held would stop the event loop.
 */
export function tablesFileOf(keyvFile: string): string {
  if (keyvFile === ':memory:') return keyvFile;
  const ext = path.extname(keyvFile);
  return path.join(path.dirname(keyvFile), `${path.basename(keyvFile, ext)}-tables${ext || '.sqlite'}`);
}

/** Opens the database at STORE_URL and brings its schema up to date. */
export async function openSqlDatabase(url: string, options: SqlOptions): Promise<SqlDatabase> {
  const engine = sqlEngineOf(url);
  const logger = options.logger.child({ component: 'sql' });
  let pool: pg.Pool | undefined;
  let db: Kysely<Tables>;
  let heartbeatDb: Kysely<Tables> | undefined;
  if (engine === 'postgres') {
    // Loaded only for Postgres: a bot on the embedded SQLite file does not carry the client.
    const { default: pg } = await import('pg');
    pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      // pg counts the wait for a free pooled connection in this timeout too: a burst of acceptances
      // queues behind the pool, and should wait its turn rather than fail after a few seconds.
      connectionTimeoutMillis: options.connectTimeoutMs ?? 30_000,
      query_timeout: options.queryTimeoutMs ?? 15_000,
      application_name: 'sora-team-bot',
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process.
    pool.on('error', (error) => logger.warn({ err: error }, 'postgres dropped an idle connection; the pool will reconnect'));
    db = new Kysely<Tables>({ dialect: new OwnSchemaPostgresDialect({ pool: reportingUnreachable(pool) }) });
    const beat = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: options.connectTimeoutMs ?? 30_000, query_timeout: options.queryTimeoutMs ?? 15_000, application_name: 'sora-team-bot heartbeat' });
    beat.on('error', (error) => logger.warn({ err: error }, 'postgres dropped the heartbeat connection; it will reconnect'));
    heartbeatDb = new Kysely<Tables>({ dialect: new OwnSchemaPostgresDialect({ pool: reportingUnreachable(beat) }) });
  } else if (engine === 'sqlite') {
    const file = tablesFileOf(keyvFileOf(url, options.dataDir));
    if (file !== ':memory:') await mkdir(path.dirname(file), { recursive: true });
    db = new Kysely<Tables>({ dialect: new BetterSqliteDialect(file) });
  } else {
    throw new Error(`STORE_URL must be postgres://… or sqlite://… for the ledger and job tables.`);
  }
  try {
    const schema = engine === 'postgres' ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
    const ran = await migrate(db as Kysely<unknown>, engine, schema);
    if (ran.length > 0) logger.info({ migrations: ran }, 'database migrated');
  } catch (error) {
    await db.destroy().catch(() => undefined);
    await heartbeatDb?.destroy().catch(() => undefined);
    throw error;
  }
  let closed: Promise<void> | undefined;
  const beats = heartbeatDb ?? db;
  return { db, engine, pool, heartbeatDb: beats, close: () => (closed ??= Promise.all([db.destroy(), beats === db ? undefined : beats.destroy()]).then(() => undefined)) };
}

/**
 * Connection failures as the core's StoreUnavailable, so a job step that meets one is tried again instead of
 * failing the job: no free pooled connection within the timeout, a refused or reset connection, or Postgres
 * codes of class 08 (connection exception), 53 (insufficient resources) and 57P01–57P03 (shutting down)
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html).
 */
function reportingUnreachable(pool: pg.Pool): Pick<pg.Pool, 'connect' | 'end'> {
  const unreachable = (error: unknown): unknown => {
    const code = (error as { code?: unknown }).code;
    const transient =
      (error instanceof Error && /timeout exceeded when trying to connect|Connection terminated|Query read timeout/i.test(error.message)) ||
      (typeof code === 'string' && (/^(08|53)/.test(code) || /^57P0[123]$/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code)));
    return transient ? new StoreUnavailable('the database could not be reached', { cause: error }) : error;
  };
  const wrapped = new WeakSet<object>();
  return {
    connect: async () => {
      const client = await pool.connect().catch((error: unknown) => {
        throw unreachable(error);
      });
      // Kysely calls query(text, values); errors of a connection lost mid-query surface here. The pool hands
      // the same client out again and again, so it is wrapped once.
      if (!wrapped.has(client)) {
        wrapped.add(client);
        const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
        (client as unknown as { query: (...args: unknown[]) => Promise<unknown> }).query = (...args: unknown[]) =>
          query(...args).catch((error: unknown) => {
            throw unreachable(error);
          });
      }
      return client;
    },
    end: () => pool.end(),
  } as Pick<pg.Pool, 'connect' | 'end'>;
}
