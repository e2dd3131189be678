/**
 * The audit trail in a table (src/store/sql/sql-audit-log.ts), on SQLite and
 * Postgres: months read oldest first, `latest` newest first with its member
 * filter and look-back; replicas appending to one team's month at once lose
 * nothing (the key-value pages rewrote a month's last page from each process's
 * own copy); and the one-time import of the key-value pages an upgraded bot
 * wrote (src/store/sql/keyv-import-audit.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { auditTotals, PagedAuditLog, type AuditEntry, type AuditLog } from '../../src/core/audit-log.js';
import { ManualClock } from '../../src/core/clock.js';
import type { KeyValueStore, ReservationRequest } from '../../src/core/ports.js';
import type { JobRecord } from '../../src/core/types.js';
import { silentLogger } from '../../src/log.js';
import { keyvFileOf, openStore } from '../../src/store/keyv-store.js';
import { importKeyvAudit, openSqlStore, type SqlStore } from '../../src/store/sql/index.js';
import { freshSchema, type TestSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';

const hasPostgres = await serviceAvailable('postgres', 'the audit trail on Postgres (test/store/sql-audit.test.ts)');
const schemas: TestSchema[] = [];
const dirs: string[] = [];
after(async () => {
  for (const s of schemas) await s.drop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const NOV = Date.UTC(2026, 10, 15);
const DEC = Date.UTC(2026, 11, 2);
const replica = (id: string) => ({ id, now: Date.now, timeoutMs: 30_000 });

interface Engine {
  /** A store URL and a data folder: SQLite's keyv file and tables live in the folder. */
  place(): Promise<{ url: string; dataDir: string }>;
  engine: 'sqlite' | 'postgres';
}

const engines: Array<[string, Engine]> = [
  [
    'SQLite',
    {
      engine: 'sqlite',
      async place() {
        const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sql-audit-'));
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
        const schema = await freshSchema('sqlaudit');
        schemas.push(schema);
        return { url: schema.url, dataDir: os.tmpdir() };
      },
    },
  ]);
}

const open = (where: { url: string; dataDir: string }, clock: ManualClock, id = 'one'): Promise<SqlStore> =>
  openSqlStore(where.url, { dataDir: where.dataDir, logger: silentLogger, replica: replica(id), clock });

const ann = { id: 'u1', name: 'Ann' };
const bo = { id: 'u2', name: 'Bo' };

async function writeSome(audit: AuditLog, clock: ManualClock): Promise<void> {
  clock.set(NOV);
  await audit.append('t:A', { action: 'reserve', by: ann, jobId: 'j1', reservedMicros: 500_000, detail: 'held $0.50' });
  clock.set(DEC);
  await audit.append('t:A', { action: 'budget', by: bo, detail: 'team cap $20.00' });
  await audit.append('t:A', { action: 'settle', by: { id: 'bot', name: 'the bot' }, member: ann, jobId: 'j1', reservedMicros: -500_000, spentMicros: 400_000, detail: 'spent' }, '2026-11');
  await audit.append('t:A', { action: 'reserve', by: ann, jobId: 'j2', reservedMicros: 250_000, detail: 'held $0.25' });
  await audit.append('t:B', { action: 'budget', by: ann, detail: 'other team' });
}

for (const [name, engine] of engines) {
  describe(`audit trail in a table, ${name}`, () => {
    it('reads a month oldest first and the latest entries newest first, per member and within the look-back', async () => {
      const clock = new ManualClock(NOV);
      const tables = await open(await engine.place(), clock);
      try {
        await writeSome(tables.audit, clock);
        const nov = await tables.audit.month('t:A', '2026-11');
        assert.deepEqual(
          nov.map((e) => [e.action, e.at]),
          [
            ['reserve', NOV],
            ['settle', DEC],
          ],
          'a money entry goes to the ledger month it names, stamped when it happened',
        );
        assert.deepEqual(auditTotals(nov), { reservedMicros: 0, spentMicros: 400_000 });
        const latest = await tables.audit.latest('t:A', { limit: 10 });
        assert.deepEqual(
          latest.map((e) => e.detail),
          ['held $0.25', 'team cap $20.00', 'spent', 'held $0.50'],
        );
        assert.deepEqual(
          (await tables.audit.latest('t:A', { limit: 10, userId: 'u1' })).map((e) => e.jobId ?? e.detail),
          ['j2', 'j1', 'j1'],
          'entries Ann did and the settle that concerns her',
        );
        assert.deepEqual((await tables.audit.latest('t:A', { limit: 2 })).length, 2);
        assert.deepEqual(
          (await tables.audit.latest('t:A', { limit: 10, months: 1 })).map((e) => e.detail),
          ['held $0.25', 'team cap $20.00'],
        );
        assert.deepEqual(
          (await tables.audit.latest('t:B', { limit: 10 })).map((e) => e.detail),
          ['other team'],
          "one team never reads another's trail",
        );
      } finally {
        await tables.close();
      }
    });

    it('writes the reserve entry in the acceptance transaction, for one job and for shots, and none when refused', async () => {
      const clock = new ManualClock(DEC);
      const tables = await open(await engine.place(), clock);
      const job = (id: string) => ({ id, tenant: 't:A', state: 'queued', ledgerMonth: '2026-12', createdAt: 1, updatedAt: 1, surface: { platform: 'test' } }) as unknown as JobRecord;
      const request = (jobId: string, micros: number): ReservationRequest => ({
        tenant: 't:A',
        userId: 'u1',
        userName: 'Ann',
        jobId,
        month: '2026-12',
        micros,
        caps: { tenantCapMicros: 1_000_000, userCapMicros: 1_000_000 },
      });
      try {
        assert.equal((await tables.jobs.createReserved!(job('j1'), request('j1', 500_000))).ok, true);
        assert.equal((await tables.jobs.createReservedAll!([job('s1'), job('s2')], [request('s1', 200_000), request('s2', 300_000)])).ok, true);
        assert.equal((await tables.jobs.createReserved!(job('j2'), request('j2', 1))).ok, false, 'the cap is spent');
        const month = await tables.audit.month('t:A', '2026-12');
        assert.deepEqual(
          month.map((e) => [e.action, e.jobId, e.reservedMicros, e.by.id, e.at]),
          [
            ['reserve', 'j1', 500_000, 'u1', DEC],
            ['reserve', 's1', 200_000, 'u1', DEC],
            ['reserve', 's2', 300_000, 'u1', DEC],
          ],
        );
        const held = await Promise.all(['j1', 's1', 's2'].map((id) => tables.ledger.held('t:A', '2026-12', id)));
        assert.equal(auditTotals(month).reservedMicros, held.reduce<number>((a, b) => a + (b ?? 0), 0));
      } finally {
        await tables.close();
      }
    });

    it('imports the key-value pages an upgraded bot wrote, in order, once', async () => {
      const where = await engine.place();
      const clock = new ManualClock(NOV);
      // What the bot before the table wrote: more than a page in November, a crash's uncounted page after it.
      const keyv = await openStore(where.url, { dataDir: where.dataDir, logger: silentLogger });
      const old = new PagedAuditLog(keyv, clock);
      const written: AuditEntry[] = [];
      for (let i = 0; i < 130; i++) {
        clock.set(NOV + i);
        const entry = { action: 'reserve' as const, by: i % 2 ? ann : bo, jobId: `j${i}`, reservedMicros: 1_000 + i, detail: `#${i}` };
        await old.append('t:A', entry);
        written.push({ ...entry, at: NOV + i });
      }
      await writeSome(old, clock);
      await keyv.set('audit:t:A:2026-11:2', [{ at: 1, action: 'budget', by: ann, detail: 'never counted' }]);
      const oldNov = await old.month('t:A', '2026-11');
      const oldDec = await old.month('t:A', '2026-12');
      await keyv.close();

      const tables = await open(where, clock);
      try {
        const source = engine.engine === 'postgres' ? { engine: 'postgres' as const } : { engine: 'sqlite' as const, keyvFile: keyvFileOf(where.url, where.dataDir) };
        assert.equal(await importKeyvAudit(tables.database.db, source, silentLogger), oldNov.length + oldDec.length + 1);
        assert.deepEqual(await tables.audit.month('t:A', '2026-11'), oldNov);
        assert.equal(oldNov.length, 132);
        assert.deepEqual((await tables.audit.month('t:A', '2026-11')).slice(0, 130), written);
        assert.deepEqual(await tables.audit.month('t:A', '2026-12'), oldDec);
        assert.equal((await tables.audit.month('t:B', '2026-12')).length, 1);
        assert.equal(await importKeyvAudit(tables.database.db, source, silentLogger), undefined, 'never twice');
        assert.equal((await tables.audit.month('t:A', '2026-11')).length, 132);
      } finally {
        await tables.close();
      }
    });
  });
}

describe('audit trail across replicas', { skip: !hasPostgres && 'needs Postgres' }, () => {
  it('two replicas appending to one team month at once keep every entry', async () => {
    const where = await engines.find(([n]) => n === 'Postgres')![1].place();
    const clock = new ManualClock(DEC);
    const [a, b] = [await open(where, clock, 'a'), await open(where, clock, 'b')];
    try {
      const appends: Promise<void>[] = [];
      for (let i = 0; i < 200; i++) {
        const audit = (i % 2 ? a : b).audit;
        appends.push(audit.append('t:A', { action: 'reserve', by: ann, jobId: `j${i}`, reservedMicros: i + 1, detail: `#${i}` }));
      }
      await Promise.all(appends);
      const month = await a.audit.month('t:A', '2026-12');
      assert.equal(month.length, 200);
      assert.equal(new Set(month.map((e) => e.jobId)).size, 200);
      assert.equal(auditTotals(month).reservedMicros, (200 * 201) / 2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('the key-value pages lose entries under the same race (why the trail moved to a table)', async () => {
    const where = await engines.find(([n]) => n === 'Postgres')![1].place();
    const clock = new ManualClock(DEC);
    const stores: KeyValueStore[] = [await openStore(where.url, { dataDir: where.dataDir, logger: silentLogger }), await openStore(where.url, { dataDir: where.dataDir, logger: silentLogger })];
    try {
      const logs = stores.map((s) => new PagedAuditLog(s, clock));
      await Promise.all(Array.from({ length: 200 }, (_, i) => logs[i % 2]!.append('t:A', { action: 'reserve', by: ann, jobId: `j${i}`, detail: `#${i}` })));
      assert.ok((await logs[0]!.month('t:A', '2026-12')).length < 200);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
