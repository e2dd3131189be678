/**
 * A team upgrading: its DATA_DIR was written by the version that kept the
 * ledger and jobs as keyv documents (written here with that code,
 * KeyValueLedger and JobStore). The first start on tables brings every month,
 * reservation and job over in one transaction, once: /cost reads the same, the
 * money in flight stays held, unfinished jobs resume, and a later start never
 * imports again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { reconcileAcceptance } from '../../src/core/acceptance.js';
import { systemClock } from '../../src/core/clock.js';
import { JobStore } from '../../src/core/job-store.js';
import { KeyValueLedger } from '../../src/core/ledger.js';
import type { KeyValueStore, MonthSummary, ReservationRequest } from '../../src/core/ports.js';
import type { JobRecord } from '../../src/core/types.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/keyv-store.js';
import { openStores } from '../../src/store/open-stores.js';
import { carriedSettlements } from '../../src/store/sql/keyv-import.js';
import { importKeyvDocuments } from '../../src/store/sql/index.js';

const caps = { tenantCapMicros: 100_000_000, userCapMicros: 50_000_000 };
const job = (id: string, tenant: string, month: string, state: JobRecord['state'], createdAt: number): JobRecord =>
  ({ id, tenant, state, ledgerMonth: month, createdAt, updatedAt: createdAt, audio: 'off', input: { prompt: id }, surface: { platform: 'test' } }) as unknown as JobRecord;
const request = (tenant: string, month: string, userId: string, jobId: string, micros: number): ReservationRequest => ({
  tenant,
  month,
  userId,
  userName: `${userId} name`,
  jobId,
  micros,
  caps,
});

/** What the old code path wrote: settled history on two backends, money in flight, a half-accepted intent. */
async function writeOldDataDir(store: KeyValueStore): Promise<void> {
  const jobs = new JobStore(store);
  const ledger = new KeyValueLedger(store);
  const accept = async (j: JobRecord, userId: string, micros: number) => {
    await jobs.create(j);
    assert.equal((await ledger.reserve(request(j.tenant, j.ledgerMonth, userId, j.id, micros))).ok, true);
    await jobs.publish(j);
  };
  const deliver = async (j: JobRecord, userId: string, micros: number, backend: string, official: number) => {
    await accept(j, userId, micros);
    await ledger.settle({ tenant: j.tenant, month: j.ledgerMonth, jobId: j.id, backend, priceMicros: micros, officialMicros: official });
    await jobs.save({ ...j, state: 'delivered', priceMicros: micros });
  };
  await deliver(job('j_a1', 'test:A', '2026-11', 'queued', 1), 'alice', 400_000, 'openai', 350_000);
  await deliver(job('j_a2', 'test:A', '2026-11', 'queued', 2), 'bob', 800_000, 'fal', 800_000);
  await deliver(job('j_a3', 'test:A', '2026-11', 'queued', 3), 'alice', 200_000, 'fal', 150_000);
  await deliver(job('j_b1', 'test:B', '2026-10', 'queued', 4), 'carol', 1_000_000, 'openai', 900_000);
  // Released: a member who reserved and spent nothing still has a line in the month.
  await accept(job('j_a4', 'test:A', '2026-11', 'queued', 5), 'dave', 300_000);
  await ledger.release('test:A', '2026-11', 'j_a4');
  await jobs.save({ ...job('j_a4', 'test:A', '2026-11', 'queued', 5), state: 'failed' });
  // In flight: accepted, holding money, to be resumed.
  await accept(job('j_a5', 'test:A', '2026-11', 'queued', 6), 'bob', 500_000);
  await accept(job('j_b2', 'test:B', '2026-11', 'submitted', 7), 'carol', 700_000);
  // A crash between the intent and the reservation: the reconciliation removes it.
  await jobs.create(job('j_a6', 'test:A', '2026-11', 'queued', 8));
}

const months: [string, string][] = [
  ['test:A', '2026-11'],
  ['test:B', '2026-10'],
  ['test:B', '2026-11'],
];

describe('the keyv ledger and jobs move to tables on the first start', () => {
  it('brings every month, reservation and job over once, in one transaction', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'keyv-import-'));
    try {
      const url = `sqlite://${path.join(dataDir, 'bot.sqlite')}`;
      const old = await openStore(url, { dataDir, logger: silentLogger });
      await writeOldDataDir(old);
      const oldLedger = new KeyValueLedger(old);
      const before: MonthSummary[] = [];
      for (const [tenant, month] of months) before.push(await oldLedger.summary(tenant, month));
      const openBefore = await oldLedger.openReservations();
      const recentBefore = (await new JobStore(old).recent('test:A')).map((j) => j.id).sort();
      await old.close();

      const config = loadConfig({ DATA_DIR: dataDir });
      const cleanups: (() => Promise<unknown>)[] = [];
      const stop = async () => {
        for (const fn of cleanups.reverse()) await fn();
        cleanups.length = 0;
      };
      try {
        const { tables, cluster } = await openStores(config, systemClock, silentLogger, cleanups);
        assert.ok(tables, 'the embedded default keeps its ledger and jobs in tables');
        assert.equal(cluster, undefined, 'one process: no replica heartbeat, takeovers or cluster line');
        for (const [i, [tenant, month]] of months.entries()) assert.deepEqual(await tables.ledger.summary(tenant, month), before[i], `/cost of ${tenant} ${month}`);
        const byJob = (a: { jobId: string }, b: { jobId: string }) => a.jobId.localeCompare(b.jobId);
        assert.deepEqual((await tables.ledger.openReservations()).sort(byJob), openBefore.sort(byJob), 'the money in flight stays held');
        assert.deepEqual((await tables.jobs.recent('test:A')).map((j) => j.id).sort(), recentBefore);
        assert.equal((await tables.jobs.get('j_a2'))?.state, 'delivered', 'a finished job can still be looked up');

        // The start-up reconciliation settles what the old code's crash left, now on the tables.
        const repairs = await reconcileAcceptance({ jobs: tables.jobs, ledger: tables.ledger, logger: silentLogger });
        assert.equal(repairs.discardedIntents, 1);
        assert.equal(await tables.jobs.get('j_a6'), undefined);
        // This process claims every unfinished job, as a restart does.
        assert.deepEqual((await tables.jobs.claimActive!()).map((j) => j.id), ['j_a5', 'j_b2']);

        // New work lands in the tables; the old documents are no longer read.
        assert.equal((await tables.ledger.reserve(request('test:A', '2026-11', 'alice', 'j_new', 100_000))).ok, true);
        await stop();

        const reopened = await openStores(config, systemClock, silentLogger, cleanups);
        assert.equal(await importKeyvDocuments(reopened.tables!.database.db, path.join(dataDir, 'bot.sqlite'), silentLogger), undefined, 'imported once');
        const after = await reopened.tables!.ledger.summary('test:A', '2026-11');
        assert.equal(after.total.reservedMicros, before[0]!.total.reservedMicros + 100_000, 'nothing imported a second time');
        assert.equal(after.total.spentMicros, before[0]!.total.spentMicros);
        assert.deepEqual((await reopened.tables!.jobs.claimActive!()).map((j) => j.id), ['j_a5', 'j_b2'], 'a restart resumes its own jobs');
      } finally {
        await stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a failure part-way imports nothing and leaves the import to the next start', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'keyv-import-'));
    try {
      const url = `sqlite://${path.join(dataDir, 'bot.sqlite')}`;
      const old = await openStore(url, { dataDir, logger: silentLogger });
      await writeOldDataDir(old);
      // A record the jobs table refuses (no tenant), read after the months were written in the same transaction.
      await old.set('job:j_broken', { id: 'j_broken', state: 'queued', createdAt: 9, updatedAt: 9 });
      await old.close();
      const config = loadConfig({ DATA_DIR: dataDir });
      const cleanups: (() => Promise<unknown>)[] = [];
      await assert.rejects(openStores(config, systemClock, silentLogger, cleanups), /NOT NULL constraint failed: jobs.tenant/);
      for (const fn of cleanups.reverse()) await fn();

      const again = await openStore(url, { dataDir, logger: silentLogger });
      await again.delete('job:j_broken');
      await again.close();
      const retry: (() => Promise<unknown>)[] = [];
      try {
        const { tables } = await openStores(config, systemClock, silentLogger, retry);
        const summary = await tables!.ledger.summary('test:A', '2026-11');
        assert.equal(summary.total.spentMicros, 1_400_000, 'the months were imported once, by the start that succeeded');
        assert.equal(summary.total.jobs, 3);
      } finally {
        for (const fn of retry.reverse()) await fn();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("a month's history as settlement lines", () => {
  it('reproduce every member and backend total, with no negative amount', () => {
    let seed = 7;
    const random = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let round = 0; round < 200; round++) {
      // Deliveries dealt out one by one, as settle() counts them.
      const byUser: Record<string, { name: string; spent: number; official: number; jobs: number }> = {};
      const byBackend: Record<string, { spent: number; official: number; jobs: number }> = {};
      for (let u = random(4); u >= 0; u--) byUser[`u${u}`] = { name: `u${u}`, spent: 0, official: 0, jobs: 0 };
      for (let d = random(12); d > 0; d--) {
        const user = byUser[`u${random(Object.keys(byUser).length)}`]!;
        const backend = (byBackend[`b${random(3)}`] ??= { spent: 0, official: 0, jobs: 0 });
        const price = random(5) * 100_000;
        const official = random(5) * 90_000;
        user.spent += price;
        user.official += official;
        user.jobs += 1;
        backend.spent += price;
        backend.official += official;
        backend.jobs += 1;
      }
      const { lines, exact } = carriedSettlements({ byUser, byBackend });
      assert.ok(exact);
      const sum = (filter: (l: (typeof lines)[number]) => boolean, field: 'price' | 'official' | 'jobs') => lines.filter(filter).reduce((a, l) => a + l[field], 0);
      for (const l of lines) assert.ok(l.price >= 0 && l.official >= 0 && l.jobs >= 0);
      for (const [id, u] of Object.entries(byUser)) {
        assert.equal(sum((l) => l.user_id === id, 'official'), u.official);
        assert.equal(sum((l) => l.user_id === id, 'jobs'), u.jobs);
      }
      for (const [id, b] of Object.entries(byBackend)) {
        assert.equal(sum((l) => l.backend === id, 'price'), b.spent);
        assert.equal(sum((l) => l.backend === id, 'official'), b.official);
        assert.equal(sum((l) => l.backend === id, 'jobs'), b.jobs);
      }
    }
  });
});
