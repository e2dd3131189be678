/**
 * The `KeyValueStore` port over one keyv instance. `STORE_URL` picks the
 * adapter: SQLite (the default, a file under DATA_DIR), Redis or Postgres.
 *
 * Three keyv defaults are wrong for a bot that keeps budgets in this store, so
 * every adapter is wrapped the same way:
 * - keyv swallows adapter errors (a failed `get` returns `undefined`, a failed
 *   `set` returns `false`) and only emits 'error'. A full disk or a dropped
 *   database must fail the operation instead, so `throwOnErrors` is on.
 * - keyv's default serializer rewrites strings that start with ':' and turns
 *   Buffers into ':base64:' strings. Values here are JSON documents, so plain
 *   JSON.stringify/parse is the whole contract.
 * - @keyv/postgres keeps one module-global pg Pool without an 'error' listener:
 *   when Postgres drops an idle connection (restart, failover,
 *   pg_terminate_backend) the pool emits 'error' and the process dies. We give
 *   the adapter a pool of our own that logs such errors and reconnects.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import type { KeyValueStore } from '../core/ports.js';
import type { Logger } from '../log.js';

export interface StoreOptions {
  /** Where a bare `sqlite://` puts its file. */
  dataDir: string;
  logger: Logger;
  /** Key prefix that keeps several bots (or test runs) apart in one Redis database or table. */
  namespace?: string;
  /** Postgres table name (letters, digits, underscore). SQLite always uses table `keyv`. */
  table?: string;
  /** How long opening waits for Redis/Postgres before it fails. */
  connectTimeoutMs?: number;
  /** Upper bound for one Postgres query, so a hung server fails the operation instead of stalling a job. */
  queryTimeoutMs?: number;
  /** Connections in the Postgres pool (pg's default is 10). */
  poolSize?: number;
}

export const DEFAULT_NAMESPACE = 'bot';
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_QUERY_TIMEOUT_MS = 15_000;
/** How long SQLite waits for another connection's write lock before SQLITE_BUSY. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** Postgres enforces VARCHAR length; namespaced keys such as `bot:job:<tenant>:<uuid>` outgrow keyv's 255. */
const POSTGRES_KEY_SIZE = 1024;

const ACCEPTED_FORMS =
  'sqlite://<path> (e.g. sqlite://./data/bot.sqlite), redis://[user:password@]host:port[/db], rediss://…, or postgres://user[:password]@host:port/database (postgresql:// also works)';

const jsonSerialize = (data: unknown): string => JSON.stringify(data);
const jsonDeserialize = <T>(data: string): T => JSON.parse(data) as T;

/** The URL with any password masked, for logs and error messages. */
export function describeStoreUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

export async function openStore(url: string, options: StoreOptions): Promise<KeyValueStore> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const logger = options.logger.child({ component: 'store' });
  switch (scheme) {
    case 'sqlite':
      return openSqlite(url, namespace, options, logger);
    case 'redis':
    case 'rediss':
      return openRedis(url, namespace, options, logger);
    case 'postgres':
    case 'postgresql':
      return openPostgres(url, namespace, options, logger);
    default:
      throw new Error(`STORE_URL "${describeStoreUrl(url)}" is not a supported store. Use ${ACCEPTED_FORMS}.`);
  }
}

// ---------------------------------------------------------------------------
// The port over one keyv instance
// ---------------------------------------------------------------------------

function wrapKeyv(keyv: Keyv, logger: Logger, shared: boolean): KeyValueStore {
  let closed: Promise<void> | undefined;
  // The Redis adapter reconnects on demand, so without this a closed store would quietly come back to life.
  const assertOpen = () => {
    if (closed) throw new Error('The store is closed.');
  };
  keyv.on('error', (error: unknown) => logger.warn({ err: error }, 'store adapter reported an error'));
  return {
    shared,
    async get<T>(key: string): Promise<T | undefined> {
      assertOpen();
      return (await keyv.get<T>(key)) ?? undefined;
    },
    async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
      assertOpen();
      if (ttlMs !== undefined && !(Number.isFinite(ttlMs) && ttlMs > 0)) {
        // keyv reads ttl 0 as "keep forever"; a caller asking for 0 ms means something else.
        throw new RangeError(`Store TTL must be a positive number of milliseconds, got ${ttlMs}.`);
      }
      if (value === undefined) throw new TypeError(`Store value for "${key}" is undefined; use delete() instead.`);
      const ok = await keyv.set(key, value, ttlMs);
      if (ok === false) throw new Error(`The store did not accept the write of "${key}".`);
    },
    async delete(key: string): Promise<void> {
      assertOpen();
      await keyv.delete(key);
    },
    close(): Promise<void> {
      closed ??= (async () => {
        await keyv.disconnect();
      })();
      return closed;
    },
  };
}

function newKeyv(store: unknown, namespace: string, useKeyPrefix: boolean): Keyv {
  return new Keyv(store as never, {
    namespace,
    useKeyPrefix,
    throwOnErrors: true,
    serialize: jsonSerialize,
    deserialize: jsonDeserialize,
  });
}

function openFailure(url: string, cause: unknown, hint: string): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`Could not open the store at STORE_URL "${describeStoreUrl(url)}": ${reason}. ${hint}`, { cause });
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // The loser of the race may still reject later; that must not become an unhandled rejection.
  work.catch(() => undefined);
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------
// SQLite
// ---------------------------------------------------------------------------

/** The file of a `sqlite://` STORE_URL; a bare `sqlite://` is `bot.sqlite` in DATA_DIR. */
export function keyvFileOf(url: string, dataDir: string): string {
  const rest = url.replace(/^sqlite:(\/\/)?/i, '');
  return rest === '' ? path.join(dataDir, 'bot.sqlite') : rest === ':memory:' ? ':memory:' : path.resolve(rest);
}

async function openSqlite(url: string, namespace: string, options: StoreOptions, logger: Logger): Promise<KeyValueStore> {
  const file = keyvFileOf(url, options.dataDir);
  if (file !== ':memory:') await mkdir(path.dirname(file), { recursive: true });

  const adapter = new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    // WAL lets readers run during a write and makes each commit one append;
    // synchronous=NORMAL in WAL mode keeps the database consistent on power
    // loss (the last commits may roll back) and fsyncs only at checkpoints,
    // which is the documented durable-but-fast pairing.
    const [mode] = (await adapter.query('PRAGMA journal_mode=WAL')) as Array<{ journal_mode?: string }>;
    await adapter.query('PRAGMA synchronous=NORMAL');
    await adapter.query(`PRAGMA busy_timeout=${SQLITE_BUSY_TIMEOUT_MS}`);
    if (file !== ':memory:' && mode?.journal_mode !== 'wal') {
      logger.warn({ file, journalMode: mode?.journal_mode }, 'SQLite refused WAL mode; writes will be slower');
    }
  } catch (error) {
    await adapter.disconnect().catch(() => undefined);
    throw openFailure(url, error, 'Check that the directory exists and is writable by the bot.');
  }
  logger.info({ store: 'sqlite', file }, 'store opened');
  return wrapKeyv(newKeyv(adapter, namespace, true), logger, false);
}

// ---------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------

async function openRedis(url: string, namespace: string, options: StoreOptions, logger: Logger): Promise<KeyValueStore> {
  // Loaded only when the store is Redis: a bot on SQLite does not carry the client (~4 MB of heap).
  const { default: KeyvRedis, createClient } = await import('@keyv/redis');
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const client = createClient({
    url,
    // Without this, commands issued while Redis is unreachable wait in an
    // unbounded offline queue and a job hangs; with it they fail at once and
    // the caller's retry logic decides.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (attempts: number) => Math.min(2 ** attempts * 100, 2_000),
    },
  });
  let lastError: unknown;
  // node-redis emits 'error' on every failed (re)connect; an EventEmitter
  // 'error' without a listener would crash the process.
  client.on('error', (error: unknown) => {
    lastError = error;
    logger.warn({ err: error }, 'redis connection error');
  });
  try {
    await withTimeout(client.connect(), connectTimeoutMs, 'Redis');
  } catch (error) {
    client.destroy();
    throw openFailure(url, lastError ?? error, 'Is Redis running and reachable (e.g. `redis-server` or `docker run -p 6379:6379 redis`)?');
  }
  const adapter = new KeyvRedis(client as never, { namespace, throwOnErrors: true, throwOnConnectError: true });
  logger.info({ store: 'redis', url: describeStoreUrl(url), namespace }, 'store opened');
  // The Redis adapter prefixes keys itself (`namespace::key`), so keyv must not add a second prefix.
  return wrapKeyv(newKeyv(adapter, namespace, false), logger, true);
}

// ---------------------------------------------------------------------------
// Postgres
// ---------------------------------------------------------------------------

interface PgPool {
  query(sql: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  on(event: 'error', listener: (error: Error) => void): void;
  end(): Promise<void>;
}
type PgModule = { Pool: new (config: Record<string, unknown>) => PgPool };

/**
 * @keyv/postgres with a pool owned by this store instead of the adapter's crash-prone global one.
 * `pg` is a direct dependency for that. Both load only when the store is Postgres.
 */
async function loadOwnedPoolPostgres() {
  const [{ default: KeyvPostgres }, { default: pg }] = await Promise.all([import('@keyv/postgres'), import('pg')]);
  const { Pool } = pg as unknown as PgModule;
  return class OwnedPoolPostgres extends KeyvPostgres {
    // `declare`, not a field: the base constructor calls connect() before a
    // subclass field initializer would run, and that initializer would then
    // reset the pool to undefined and leak it past disconnect().
    declare private ownedPool: PgPool | undefined;

    override async connect(): Promise<(sql: string, values?: unknown) => Promise<unknown[]>> {
      const pool = this.poolFor();
      return async (sql, values) => (await pool.query(sql, values as unknown[] | undefined)).rows;
    }

    override async disconnect(): Promise<void> {
      await this.ownedPool?.end();
    }

    private poolFor(): PgPool {
      if (!this.ownedPool) {
        const settings = this.opts as unknown as { pool: Record<string, unknown>; onPoolError: (error: Error) => void };
        this.ownedPool = new Pool(settings.pool);
        this.ownedPool.on('error', settings.onPoolError);
      }
      return this.ownedPool;
    }
  };
}

async function openPostgres(url: string, namespace: string, options: StoreOptions, logger: Logger): Promise<KeyValueStore> {
  const table = options.table ?? 'keyv';
  // The adapter splices the table name into its SQL unquoted.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) {
    throw new Error(`Store table name "${table}" must be lowercase letters, digits and underscores (at most 63).`);
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  // @keyv/postgres qualifies its table with `public.` unless told a schema; follow the URL's search_path
  // (`?options=-c search_path=…`), where the ledger and job tables (src/store/sql) also live.
  const schema = /search_path=([a-z_][a-z0-9_]{0,62})/.exec(new URL(url).searchParams.get('options') ?? '')?.[1] ?? 'public';
  let adapterError: unknown;
  const OwnedPoolPostgres = await loadOwnedPoolPostgres();
  const adapter = new OwnedPoolPostgres({
    uri: url,
    schema,
    table,
    keySize: POSTGRES_KEY_SIZE,
    pool: {
      connectionString: url,
      connectionTimeoutMillis: connectTimeoutMs,
      query_timeout: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
      application_name: 'sora-team-bot',
      ...(options.poolSize !== undefined && { max: options.poolSize }),
    },
    onPoolError: (error: Error) => logger.warn({ err: error }, 'postgres dropped an idle connection; the pool will reconnect'),
  } as never);
  // Table creation runs inside the adapter's constructor and is only reported as an event.
  adapter.on('error', (error: unknown) => {
    adapterError ??= error;
  });
  try {
    await withTimeout(adapter.query(`SELECT 1 FROM ${schema}.${table} LIMIT 1`), connectTimeoutMs * 2, 'Postgres');
  } catch (error) {
    await adapter.disconnect().catch(() => undefined);
    throw openFailure(url, adapterError ?? error, 'Is Postgres running, and may this user create tables in that database?');
  }
  logger.info({ store: 'postgres', url: describeStoreUrl(url), table, namespace }, 'store opened');
  return wrapKeyv(newKeyv(adapter, namespace, true), logger, true);
}
