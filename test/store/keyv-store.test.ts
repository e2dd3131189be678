/**
 * One contract suite for the KeyValueStore port, run against each backend the
 * bot supports. Redis and Postgres are used when reachable; otherwise their
 * part skips with one loud line, except under CI=true where it fails
 * (test/helpers/services.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createClient } from '@keyv/redis';
import { openStore } from '../../src/store/keyv-store.js';
import { silentLogger } from '../../src/log.js';
import type { KeyValueStore } from '../../src/core/ports.js';
import { waitFor } from '../helpers/drive.js';
import { POSTGRES_URL, REDIS_URL, serviceAvailable } from '../helpers/services.js';

const RUN_ID = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const requireService = (name: 'redis' | 'postgres', _url: string) => serviceAvailable(name, `the ${name} store tests`);

interface Backend {
  name: string;
  /** Checked before the suite; false means skip. */
  available: () => Promise<boolean>;
  open: () => Promise<KeyValueStore>;
  cleanup: () => Promise<void>;
}

let sqliteDir = '';
const pgTable = `store_test_${RUN_ID}`;
const redisNamespace = `store-test-${RUN_ID}`;

function loadPg(): { Client: new (config: { connectionString: string }) => PgClient } {
  return createRequire(import.meta.resolve('@keyv/postgres'))('pg');
}
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
}
async function withPg<T>(work: (client: PgClient) => Promise<T>): Promise<T> {
  const { Client } = loadPg();
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    available: async () => true,
    open: async () => {
      sqliteDir ||= await mkdtemp(path.join(tmpdir(), 'store-test-'));
      return openStore(`sqlite://${path.join(sqliteDir, 'nested', 'bot.sqlite')}`, { dataDir: sqliteDir, logger: silentLogger });
    },
    cleanup: async () => {
      if (sqliteDir) await rm(sqliteDir, { recursive: true, force: true });
    },
  },
  {
    name: 'redis',
    available: () => requireService('redis', REDIS_URL),
    open: () => openStore(REDIS_URL, { dataDir: '/nonexistent', logger: silentLogger, namespace: redisNamespace, connectTimeoutMs: 2_000 }),
    cleanup: async () => {
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      try {
        for await (const keys of client.scanIterator({ MATCH: `${redisNamespace}::*`, COUNT: 100 })) {
          if (keys.length > 0) await client.del(keys);
        }
      } finally {
        client.destroy();
      }
    },
  },
  {
    name: 'postgres',
    available: () => requireService('postgres', POSTGRES_URL),
    open: () => openStore(POSTGRES_URL, { dataDir: '/nonexistent', logger: silentLogger, table: pgTable, connectTimeoutMs: 2_000 }),
    cleanup: () => withPg(async (client) => void (await client.query(`DROP TABLE IF EXISTS ${pgTable}`))),
  },
];

for (const backend of backends) {
  describe(`KeyValueStore contract on ${backend.name}`, () => {
    let store: KeyValueStore;
    let enabled = false;

    before(async () => {
      enabled = await backend.available();
      if (enabled) store = await backend.open();
    });
    after(async () => {
      if (!enabled) return;
      await store.close();
      await backend.cleanup();
    });

    // Skipping is decided in `before`, so each test checks the flag itself.
    const it = (name: string, body: () => Promise<void>) =>
      test(name, async (t) => {
        if (!enabled) return t.skip(`${backend.name} unavailable (see the SKIPPED line above)`);
        await body();
      });

    it('get of a missing key is undefined', async () => {
      assert.equal(await store.get('missing:key'), undefined);
    });

    it('set then get returns the document; overwrite replaces it; delete removes it', async () => {
      await store.set('job:1', { state: 'queued' });
      assert.deepEqual(await store.get('job:1'), { state: 'queued' });
      await store.set('job:1', { state: 'completed', progress: 100 });
      assert.deepEqual(await store.get('job:1'), { state: 'completed', progress: 100 });
      await store.delete('job:1');
      assert.equal(await store.get('job:1'), undefined);
      await store.delete('job:1'); // deleting twice is not an error
    });

    it('round-trips nested JSON, strings starting with ":" and the largest safe integers exactly', async () => {
      const doc = {
        tenant: 'discord:123456789012345678',
        spentMicros: Number.MAX_SAFE_INTEGER,
        refundMicros: -Number.MAX_SAFE_INTEGER,
        ratio: 0.1 + 0.2,
        prompt: ':base64:not-a-buffer — ünïcödé 🎬',
        flags: [true, false, null],
        nested: { list: [{ id: 'a', tags: [] }, { id: 'b', meta: { deep: { deeper: 1 } } }], empty: {} },
      };
      await store.set('doc', doc);
      const back = await store.get<typeof doc>('doc');
      assert.deepEqual(back, doc);
      assert.ok(Number.isSafeInteger(back?.spentMicros));
      await store.set('scalar', 'plain string');
      assert.equal(await store.get('scalar'), 'plain string');
      await store.set('zero', 0);
      assert.equal(await store.get('zero'), 0);
    });

    it('an entry with a TTL disappears after it and one without stays', async () => {
      // The engines expire by their own wall clock, so the test waits for the expiry itself
      // rather than sleeping a fixed time: a busy machine may take longer than any fixed sleep.
      await store.set('ttl:long', { n: 0 }, 10 * 60_000);
      await store.set('ttl:short', { n: 1 }, 150);
      await store.set('ttl:none', { n: 2 });
      assert.deepEqual(await store.get('ttl:long'), { n: 0 }, 'an entry within its TTL is readable');
      await waitFor(async () => (await store.get('ttl:short')) === undefined, 'the 150 ms entry to expire');
      assert.deepEqual(await store.get('ttl:none'), { n: 2 });
      assert.deepEqual(await store.get('ttl:long'), { n: 0 });
    });

    it('rejects a non-positive TTL instead of silently storing forever', async () => {
      await assert.rejects(store.set('ttl:zero', 1, 0), RangeError);
      assert.equal(await store.get('ttl:zero'), undefined);
    });

    it('close then reopen keeps what was written', async () => {
      await store.set('persist', { budget: 42_000_000 });
      await store.close();
      store = await backend.open();
      assert.deepEqual(await store.get('persist'), { budget: 42_000_000 });
    });

    it('close is idempotent and operations after close fail', async () => {
      const extra = await backend.open();
      await extra.close();
      await extra.close();
      await assert.rejects(extra.get('persist'));
    });
  });
}

describe('store failures surface instead of being swallowed', () => {
  test('SQLite: an adapter error makes get and set reject (keyv alone would return undefined/false)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'store-fail-'));
    const file = path.join(dir, 'bot.sqlite');
    const store = await openStore(`sqlite://${file}`, { dataDir: dir, logger: silentLogger });
    try {
      await store.set('k', 1);
      // Break the database under the store from a second connection.
      const sqlite3 = createRequire(import.meta.resolve('@keyv/sqlite'))('sqlite3');
      await new Promise<void>((resolve, reject) => {
        const db = new sqlite3.Database(file, (error: Error | null) => {
          if (error) return reject(error);
          db.exec('DROP TABLE keyv', (dropError: Error | null) => db.close(() => (dropError ? reject(dropError) : resolve())));
        });
      });
      await assert.rejects(store.get('k'), /no such table/);
      await assert.rejects(store.set('k', 2), /no such table/);
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('SQLite is switched to WAL with synchronous=NORMAL', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'store-wal-'));
    const file = path.join(dir, 'bot.sqlite');
    const store = await openStore(`sqlite://${file}`, { dataDir: dir, logger: silentLogger });
    try {
      await store.set('k', 1);
      const sqlite3 = createRequire(import.meta.resolve('@keyv/sqlite'))('sqlite3');
      const mode = await new Promise<string>((resolve, reject) => {
        const db = new sqlite3.Database(file, (error: Error | null) => {
          if (error) return reject(error);
          db.get('PRAGMA journal_mode', (e: Error | null, row: { journal_mode: string }) => db.close(() => (e ? reject(e) : resolve(row.journal_mode))));
        });
      });
      // journal_mode=WAL is persistent in the file; synchronous is per connection and not observable from outside.
      assert.equal(mode, 'wal');
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a bare sqlite:// puts the file in DATA_DIR and creates the directory', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'store-default-'));
    const dataDir = path.join(dir, 'data');
    const store = await openStore('sqlite://', { dataDir, logger: silentLogger });
    try {
      await store.set('k', 1);
      const { stat } = await import('node:fs/promises');
      assert.ok((await stat(path.join(dataDir, 'bot.sqlite'))).isFile());
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('Postgres: a dropped connection neither crashes the process nor loses the next operation', async (t) => {
    if (!(await requireService('postgres', POSTGRES_URL))) return t.skip('postgres unavailable');
    const table = `store_drop_${RUN_ID}`;
    const store = await openStore(POSTGRES_URL, { dataDir: '/nonexistent', logger: silentLogger, table, connectTimeoutMs: 2_000 });
    try {
      await store.set('k', { v: 1 });
      // Terminate only this store's idle backends (their last query named our unique table).
      const killed = await withPg(async (client) =>
        (await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`, [`%${table}%`])).rows.length,
      );
      assert.ok(killed >= 1, 'expected to terminate at least one store connection');
      await sleep(200); // let the pool see the FATAL message on its idle client (this used to crash the process)
      assert.deepEqual(await store.get('k'), { v: 1 });
    } finally {
      await store.close();
      await withPg(async (client) => void (await client.query(`DROP TABLE IF EXISTS ${table}`)));
    }
  });

  test('Postgres: an adapter error makes operations reject', async (t) => {
    if (!(await requireService('postgres', POSTGRES_URL))) return t.skip('postgres unavailable');
    const table = `store_gone_${RUN_ID}`;
    const store = await openStore(POSTGRES_URL, { dataDir: '/nonexistent', logger: silentLogger, table, connectTimeoutMs: 2_000 });
    try {
      await store.set('k', 1);
      await withPg(async (client) => void (await client.query(`DROP TABLE ${table}`)));
      await assert.rejects(store.get('k'), /does not exist/);
      await assert.rejects(store.set('k', 2), /does not exist/);
    } finally {
      await store.close();
    }
  });

  for (const [name, url] of [
    ['redis', 'redis://127.0.0.1:1'],
    ['postgres', 'postgres://postgres@127.0.0.1:1/test'],
  ] as const) {
    test(`${name}: an unreachable server fails open quickly with a message naming STORE_URL`, async () => {
      const started = Date.now();
      await assert.rejects(openStore(url, { dataDir: '/nonexistent', logger: silentLogger, connectTimeoutMs: 500 }), (error: Error) => {
        assert.match(error.message, /STORE_URL/);
        assert.match(error.message, /127\.0\.0\.1:1/);
        return true;
      });
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    });
  }

  test('an unknown scheme names STORE_URL and the accepted forms', async () => {
    await assert.rejects(openStore('mysql://root:hunter22@db/bot', { dataDir: '/tmp', logger: silentLogger }), (error: Error) => {
      assert.match(error.message, /STORE_URL/);
      assert.match(error.message, /sqlite:\/\//);
      assert.match(error.message, /redis:\/\//);
      assert.match(error.message, /postgres:\/\//);
      assert.doesNotMatch(error.message, /hunter22/, 'the password must not leak into the message');
      return true;
    });
  });

  test('a Postgres table name that would be spliced into SQL unsafely is refused', async () => {
    await assert.rejects(openStore(POSTGRES_URL, { dataDir: '/tmp', logger: silentLogger, table: 'keyv; DROP TABLE x' }), /table name/);
  });
});
