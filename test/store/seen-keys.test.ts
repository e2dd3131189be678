/**
 * Request and webhook ids already handled (core/ports.ts `SeenKeys`): in a
 * table on SQLite and Postgres (src/store/sql/sql-seen-keys.ts), one statement
 * decides, so copies of one request reaching two replicas at once pass exactly
 * once; a key is new again when its time is over; `purge` drops expired rows.
 * The keyv version (src/store/seen-keys.ts, kept for Redis) serializes only
 * within a process, which the last test shows.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/keyv-store.js';
import { KeyValueSeenKeys } from '../../src/store/seen-keys.js';
import { openSqlStore, type SqlStore } from '../../src/store/sql/index.js';
import { freshSchema, type TestSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';

const hasPostgres = await serviceAvailable('postgres', 'seen request ids on Postgres (test/store/seen-keys.test.ts)');
const schemas: TestSchema[] = [];
const dirs: string[] = [];
after(async () => {
  for (const s of schemas) await s.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const replica = (id: string) => ({ id, now: Date.now, timeoutMs: 30_000 });

async function place(engine: 'SQLite' | 'Postgres'): Promise<{ url: string; dataDir: string }> {
  if (engine === 'SQLite') {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'seen-keys-'));
    dirs.push(dataDir);
    return { url: 'sqlite://', dataDir };
  }
  const schema = await freshSchema('seenkeys');
  schemas.push(schema);
  return { url: schema.url, dataDir: os.tmpdir() };
}

const open = (where: { url: string; dataDir: string }, clock: ManualClock, id = 'one'): Promise<SqlStore> =>
  openSqlStore(where.url, { dataDir: where.dataDir, logger: silentLogger, replica: replica(id), clock });

for (const engine of ['SQLite', ...(hasPostgres ? ['Postgres' as const] : [])] as const) {
  describe(`seen request ids in a table, ${engine}`, () => {
    it('first once, then not until the time is over; 40 copies at once pass once; purge drops only what expired', async () => {
      const clock = new ManualClock(1_000_000);
      const tables = await open(await place(engine), clock);
      try {
        assert.equal(await tables.seen.first('slack:request:a', 60_000), true);
        assert.equal(await tables.seen.first('slack:request:a', 60_000), false);
        assert.equal(await tables.seen.first('slack:request:b', 60_000), true, 'another key is its own');
        clock.set(clock.now() + 59_999);
        assert.equal(await tables.seen.first('slack:request:a', 60_000), false);
        clock.set(clock.now() + 1);
        assert.equal(await tables.seen.first('slack:request:a', 60_000), true, 'new again once its time is over');
        const copies = await Promise.all(Array.from({ length: 40 }, () => tables.seen.first('discord:interaction:9', 60_000)));
        assert.equal(copies.filter(Boolean).length, 1);
        clock.set(clock.now() + 60_000);
        assert.equal(await tables.seen.first('discord:interaction:10', 60_000), true);
        assert.equal(await tables.seen.purge(), 3, 'a, b and 9 expired; 10 lives');
        assert.equal(await tables.seen.first('discord:interaction:10', 60_000), false);
      } finally {
        await tables.close();
      }
    });
  });
}

describe('seen request ids of the one process that owns a SQLite file (decided in memory, written behind)', () => {
  it('decides at once, writes every key to the table, and a restart on the same file still knows them; expiry and purge as in the table', async () => {
    const where = await place('SQLite');
    const clock = new ManualClock(1_000_000);
    const errors: unknown[] = [];
    let tables = await open(where, clock);
    try {
      const owned = tables.ownedSeenKeys((e) => errors.push(e));
      await owned.load();
      const copies = await Promise.all(Array.from({ length: 40 }, () => owned.first('discord:interaction:1', 60_000)));
      assert.equal(copies.filter(Boolean).length, 1, '40 copies at once pass once');
      for (let i = 2; i <= 600; i++) assert.equal(await owned.first(`discord:interaction:${i}`, 60_000), true);
      await owned.flush();
      // What another reader of the file sees: every key, as the table version would have written it.
      assert.equal(await tables.seen.first('discord:interaction:1', 60_000), false);
      assert.equal(await tables.seen.first('discord:interaction:600', 60_000), false);
      assert.equal(await owned.first('slack:request:late', 60_000), true);
      await owned.flush(); // what the bot's stop does before it closes the tables (open-stores.ts)
      await tables.close();
      // A restart: what was decided before (flushed at the stop) is loaded.
      tables = await open(where, clock);
      const again = tables.ownedSeenKeys((e) => errors.push(e));
      await again.load();
      assert.equal(await again.first('discord:interaction:300', 60_000), false);
      assert.equal(await again.first('slack:request:late', 60_000), false, 'decided just before the stop');
      assert.equal(await again.first('slack:request:never', 60_000), true);
      clock.set(clock.now() + 60_000);
      assert.equal(await again.first('discord:interaction:300', 60_000), true, 'new again once its time is over');
      await again.flush();
      assert.ok((await again.purge()) >= 599, 'expired rows dropped');
      assert.equal(await again.first('discord:interaction:300', 60_000), false, 'the renewed key survived the purge');
      assert.deepEqual(errors, []);
    } finally {
      await tables.close();
    }
  });
});

describe('seen request ids written behind a burst', () => {
  it('writes nothing while commands keep arriving, then all the keys of the burst in one go once they pause', async () => {
    const where = await place('SQLite');
    const clock = new ManualClock(1_000_000);
    const tables = await open(where, clock);
    try {
      let pause!: () => void;
      let asked = 0;
      const arrivalsPaused = () => {
        asked += 1;
        return new Promise<void>((resolve) => (pause = resolve));
      };
      const owned = tables.ownedSeenKeys((e) => assert.fail(String(e)), arrivalsPaused);
      const rows = async () => Number((await tables.database.db.selectFrom('seen_keys').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      for (let i = 1; i <= 50; i++) {
        assert.equal(await owned.first(`discord:interaction:${i}`, 60_000), true);
        await new Promise((resolve) => setImmediate(resolve)); // a turn of the event loop per arrival, as under a burst
      }
      assert.equal(await rows(), 0, 'no statement while the arrivals go on');
      assert.equal(asked, 1, 'one wait for the whole burst');
      pause();
      await new Promise((resolve) => setImmediate(resolve));
      await owned.flush();
      assert.equal(await rows(), 50);
    } finally {
      await tables.close();
    }
  });
});

describe('seen request ids across replicas', { skip: !hasPostgres && 'needs Postgres' }, () => {
  it('copies of one request reaching two replicas at once pass exactly once', async () => {
    const where = await place('Postgres');
    const clock = new ManualClock(1_000_000);
    const [a, b] = [await open(where, clock, 'a'), await open(where, clock, 'b')];
    try {
      for (let round = 0; round < 10; round++) {
        const copies = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).seen.first(`webhooks:seen:fal:${round}`, 60_000)));
        assert.equal(copies.filter(Boolean).length, 1, `round ${round}`);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the keyv version, serialized only within a process, lets copies through on two processes (why the tables have their own)', async () => {
    const where = await place('Postgres');
    const stores = [await openStore(where.url, { dataDir: where.dataDir, logger: silentLogger }), await openStore(where.url, { dataDir: where.dataDir, logger: silentLogger })];
    try {
      const [a, b] = stores.map((s) => new KeyValueSeenKeys(s)) as [KeyValueSeenKeys, KeyValueSeenKeys];
      let passed = 0;
      for (let round = 0; round < 10; round++) {
        const copies = await Promise.all([a.first(`k${round}`, 60_000), b.first(`k${round}`, 60_000)]);
        passed += copies.filter(Boolean).length;
      }
      assert.ok(passed > 10, `${passed} passes for 10 requests`);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
