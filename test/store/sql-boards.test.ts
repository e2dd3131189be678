/**
 * Storyboards in a table (src/store/sql/sql-board-store.ts), on SQLite and
 * Postgres: the recent and active lists, the compare-and-set every move writes
 * with, which replica drives which board (a live replica's boards are never
 * claimed by another; a dead one's go to exactly one other, once, even when two
 * claim at once), and the one-time import of the keyv documents an upgraded bot
 * wrote (src/store/sql/keyv-import-boards.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyValueBoardStore } from '../../src/core/board-store.js';
import { ManualClock } from '../../src/core/clock.js';
import { BoardClosed, BoardLifecycle, BoardMovedOn, IllegalBoardTransition } from '../../src/core/job-lifecycle.js';
import type { BoardRecord } from '../../src/core/types.js';
import { silentLogger } from '../../src/log.js';
import { keyvFileOf, openStore } from '../../src/store/keyv-store.js';
import { importKeyvBoards, openSqlStore, type SqlStore } from '../../src/store/sql/index.js';
import { freshSchema, type TestSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';

const hasPostgres = await serviceAvailable('postgres', 'storyboards on Postgres (test/store/sql-boards.test.ts)');
const schemas: TestSchema[] = [];
const dirs: string[] = [];
after(async () => {
  for (const s of schemas) await s.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 11, 2);

interface Engine {
  engine: 'sqlite' | 'postgres';
  place(): Promise<{ url: string; dataDir: string }>;
}

const engines: Array<[string, Engine]> = [
  [
    'SQLite',
    {
      engine: 'sqlite',
      async place() {
        const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sql-boards-'));
        dirs.push(dataDir);
        return { url: 'sqlite://', dataDir };
      },
    },
  ],
];
if (hasPostgres) {
  engines.push([
    'Postgres',
    {
      engine: 'postgres',
      async place() {
        const schema = await freshSchema('sqlboards');
        schemas.push(schema);
        return { url: schema.url, dataDir: os.tmpdir() };
      },
    },
  ]);
}

/** A replica whose sense of time the test moves: one not seen for 30 s is taken for dead. */
const open = (where: { url: string; dataDir: string }, id: string, now: () => number = Date.now): Promise<SqlStore> =>
  openSqlStore(where.url, { dataDir: where.dataDir, logger: silentLogger, replica: { id, now, timeoutMs: 30_000 } });

const board = (id: string, tenant = 't:A', at = T0, state: BoardRecord['state'] = 'rendering'): BoardRecord =>
  ({ id, tenant, state, kind: 'storyboard', shots: [], retries: [], started: true, surface: { platform: 'test' }, createdAt: at, updatedAt: at }) as unknown as BoardRecord;

for (const [name, engine] of engines) {
  describe(`storyboards in a table, ${name}`, () => {
    it('lists a team its 20 newest published boards and keeps the active set to boards that have not ended', async () => {
      const tables = await open(await engine.place(), 'one');
      try {
        const { boards } = tables;
        for (let i = 0; i < 23; i++) {
          await boards.create(board(`b_${i}`, 't:A', T0 + i));
          if (i !== 5) await boards.publish(board(`b_${i}`));
        }
        await boards.create(board('b_other', 't:B', T0 + 50));
        await boards.publish(board('b_other', 't:B', T0 + 50));
        const recent = await boards.recent('t:A');
        assert.equal(recent.length, 20);
        assert.deepEqual(recent.slice(0, 3).map((b) => b.id), ['b_22', 'b_21', 'b_20'], 'newest first');
        assert.ok(!recent.some((b) => b.tenant !== 't:A'), "never another team's");
        assert.equal(await boards.getForTenant('t:B', 'b_1'), undefined);
        assert.equal((await boards.getForTenant('t:A', 'b_1'))?.id, 'b_1');

        const lifecycle = new BoardLifecycle(boards, new ManualClock(T0 + 100));
        await lifecycle.transition('b_1', 'failed');
        await boards.unindex('b_2');
        await boards.discard(board('b_3'));
        const active = await boards.activeIds();
        assert.equal(active.length, 24 - 3);
        assert.ok(!active.includes('b_1') && !active.includes('b_2') && !active.includes('b_3'));
        assert.deepEqual(active.slice(0, 2), ['b_0', 'b_4'], 'oldest first');
        assert.equal((await boards.get('b_1'))?.state, 'failed');
        assert.equal(await boards.get('b_3'), undefined);
        await assert.rejects(lifecycle.amend('b_1', { started: false }), BoardClosed);
      } finally {
        await tables.close();
      }
    });

    it('writes a move only over the board it read: a stale write is refused, and a lifecycle re-reads and re-applies', async () => {
      const tables = await open(await engine.place(), 'one');
      try {
        const { boards } = tables;
        await boards.create(board('b_1'));
        const read = (await boards.get('b_1'))!;
        await boards.save({ ...read, started: false }, read);
        await assert.rejects(boards.save({ ...read, seconds: 9 } as BoardRecord, read), BoardMovedOn, 'the record moved on since it was read');
        const lifecycle = new BoardLifecycle(boards, new ManualClock(T0 + 5));
        const amended = await lifecycle.amend('b_1', (b) => ({ retries: [...b.retries, 1] }));
        assert.equal(amended.started, false, 'the field change lands on the stored board');
        await lifecycle.transition('b_1', 'joining');
        await assert.rejects(lifecycle.transition('b_1', 'incomplete'), IllegalBoardTransition);
      } finally {
        await tables.close();
      }
    });

    it('imports the keyv documents an upgraded bot wrote, once, unowned', async () => {
      const where = await engine.place();
      const keyv = await openStore(where.url, { dataDir: where.dataDir, logger: silentLogger });
      const old = new KeyValueBoardStore(keyv);
      await old.create(board('b_live', 't:A', T0 + 1));
      await old.publish(board('b_live', 't:A', T0 + 1));
      await old.create(board('b_unlisted', 't:A', T0 + 2));
      await old.create(board('b_done', 't:A', T0));
      await old.publish(board('b_done', 't:A', T0));
      await old.save(board('b_done', 't:A', T0, 'delivered'));
      await keyv.close();

      const tables = await open(where, 'one');
      try {
        const source = engine.engine === 'postgres' ? { engine: 'postgres' as const } : { engine: 'sqlite' as const, keyvFile: keyvFileOf(where.url, where.dataDir) };
        assert.deepEqual(await importKeyvBoards(tables.database.db, source, silentLogger), { boards: 3, active: 2 });
        assert.equal(await importKeyvBoards(tables.database.db, source, silentLogger), undefined, 'never twice');
        assert.deepEqual((await tables.boards.recent('t:A')).map((b) => [b.id, b.state]), [['b_live', 'rendering'], ['b_done', 'delivered']]);
        const owners = await tables.database.db.selectFrom('boards').select(['id', 'owner']).orderBy('id').execute();
        assert.deepEqual(owners.map((r) => r.owner), [null, null, null], 'the first replica to start claims them');
        assert.deepEqual(await tables.boards.activeIds(), ['b_live', 'b_unlisted']);
      } finally {
        await tables.close();
      }
    });
  });
}

describe('storyboards across replicas', { skip: !hasPostgres && 'needs Postgres' }, () => {
  const place = () => engines.find(([n]) => n === 'Postgres')![1].place();

  it("drives only its own boards: a live replica's are not claimed at start or later; a dead one's go to exactly one other, once", async () => {
    const where = await place();
    let now = Date.now();
    const [a, b, c] = (await Promise.all(['a', 'b', 'c'].map((id) => open(where, id, () => now)))) as [SqlStore, SqlStore, SqlStore];
    try {
      const ids = Array.from({ length: 30 }, (_, i) => `b_${String(i).padStart(2, '0')}`);
      for (const [i, id] of ids.entries()) await a.boards.create(board(id, 't:A', T0 + i));
      await b.boards.create(board('b_mine', 't:A', T0 + 99));
      assert.deepEqual(await b.boards.activeIds(), ['b_mine'], "a starting replica leaves a live replica's boards alone");
      assert.deepEqual(await c.claimOrphans(), { jobs: [], boards: [] });
      assert.equal((await a.boards.activeIds()).length, 30, 'a restarted a still drives its own');

      now += 31_000; // a stops being seen; b and c still say they are alive
      await Promise.all([b.jobs.heartbeat(), c.jobs.heartbeat()]);
      const [byB, byC] = await Promise.all([b.claimOrphans(), c.claimOrphans()]);
      assert.deepEqual([...byB.boards, ...byC.boards].sort(), ids, 'every orphan taken, by exactly one replica');
      assert.ok(byB.boards.length === 0 || byC.boards.length === 0, 'all by the first claimer: they move together');
      assert.deepEqual([...(await b.claimOrphans()).boards, ...(await c.claimOrphans()).boards], [], 'and only once');
      assert.ok(!(await c.boards.activeIds()).includes('b_mine'), "b's own board stays b's");

      // a comes back (a restart with the same id): its boards have moved on and stay with their new owners.
      await a.jobs.heartbeat();
      assert.deepEqual(await a.boards.activeIds(), []);
    } finally {
      for (const s of [a, b, c]) await s.close();
    }
  });

  it('of two replicas moving one board at once, one move lands and the other is refused as today', async () => {
    const where = await place();
    const [a, b] = (await Promise.all(['a', 'b'].map((id) => open(where, id)))) as [SqlStore, SqlStore];
    try {
      const la = new BoardLifecycle(a.boards, new ManualClock(T0));
      const lb = new BoardLifecycle(b.boards, new ManualClock(T0));
      for (let round = 0; round < 10; round++) {
        const id = `b_${round}`;
        await a.boards.create(board(id, 't:A', T0, 'awaiting_approval'));
        const outcomes = await Promise.allSettled([la.transition(id, 'rendering'), lb.transition(id, 'cancelled')]);
        const won = outcomes.filter((o) => o.status === 'fulfilled') as PromiseFulfilledResult<BoardRecord>[];
        assert.equal(won.length, 1, `round ${round}: one decision`);
        const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        assert.ok(lost.reason instanceof IllegalBoardTransition || lost.reason instanceof BoardClosed, String(lost.reason));
        assert.equal((await a.boards.get(id))!.state, won[0]!.value.state, 'the store holds the winner, not a later overwrite');
      }
    } finally {
      for (const s of [a, b]) await s.close();
    }
  });
});
