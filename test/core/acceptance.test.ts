/**
 * Acceptance is atomic: a process that dies after any store write of
 * `requestGeneration` leaves, once the next start has reconciled, either no
 * job and no reservation, or a job the runner resumes with its reservation.
 * The kill is a store that stops answering after its Nth write (the process's
 * last write reached the disk, the next one never starts), over every N.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { reconcileAcceptance } from '../../src/core/acceptance.js';
import { ManualClock } from '../../src/core/clock.js';
import { UserFacingError } from '../../src/core/errors.js';
import { JobStore } from '../../src/core/job-store.js';
import { KeyValueLedger } from '../../src/core/ledger.js';
import type { KeyValueStore, MediaStore } from '../../src/core/ports.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import { Studio } from '../../src/core/studio.js';
import type { JobRecord } from '../../src/core/types.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/keyv-store.js';
import { declaredBackend } from '../helpers/fixtures.js';
import { generationInput } from '../helpers/jobs.js';
import { actor, LogCapture } from '../helpers/test-bot.js';

const TENANT = 'test:A';
const ESTIMATE = 400_000; // 4 s at $0.10/s on the fixture backend

/** A plain in-memory store: the port's contract (JSON documents) without a database. */
class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  async get<T>(key: string): Promise<T | undefined> {
    const v = this.data.get(key);
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }
  async set(key: string, value: unknown): Promise<void> {
    this.data.set(key, JSON.stringify(value));
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
  async close(): Promise<void> {}
}

/** The same store as seen by a process killed after `writesLeft` more writes: later calls never return. */
function dyingAfter(store: KeyValueStore, writesLeft: number): KeyValueStore & { died: Promise<'killed'> } {
  const never = new Promise<never>(() => {});
  let die!: (v: 'killed') => void;
  const died = new Promise<'killed'>((resolve) => (die = resolve));
  let left = writesLeft;
  const write = <T>(op: () => Promise<T>): Promise<T> => {
    if (left-- > 0) return op();
    die('killed');
    return never;
  };
  return {
    get: (key) => (left >= 0 ? store.get(key) : never),
    set: (key, value) => write(() => store.set(key, value)),
    delete: (key) => write(() => store.delete(key)),
    close: async () => {},
    died,
  };
}

function studioOn(store: KeyValueStore, logger = silentLogger, tenantCapMicros = 10_000_000): Studio {
  return new Studio({
    store,
    clock: new ManualClock(),
    logger,
    backends: [declaredBackend('openai')],
    media: {} as MediaStore, // acceptance touches no media
    defaults: { tenantCapMicros, userCapMicros: tenantCapMicros, policy: 'cost' },
    referencePriceBackend: 'openai',
    jobDeadlineMs: 3_600_000,
    concurrency: { perBackend: 4, perTenant: 4 },
    publicUrl: undefined,
  });
}

/** What the next process sees after reconciling: the only two allowed ends. */
async function endState(store: KeyValueStore): Promise<{ jobs: JobRecord[]; reserved: number; listed: number; records: number }> {
  const jobs = new JobStore(store);
  const ledger = new KeyValueLedger(store);
  const active = await jobs.activeJobs();
  const open = await ledger.openReservations();
  const records = [...(store as MemoryStore).data.keys()].filter((k) => k.startsWith('job:')).length;
  return { jobs: active, reserved: open.reduce((a, o) => a + o.micros, 0), listed: (await jobs.recent(TENANT)).length, records };
}

describe('acceptance survives a kill after any store write', () => {
  for (const refused of [false, true]) {
    it(refused ? 'a request the budget refuses' : 'a request the budget accepts', async () => {
      let completedAt: number | undefined;
      for (let writes = 0; completedAt === undefined; writes++) {
        assert.ok(writes < 20, 'the request finished within 20 writes');
        const disk = new MemoryStore();
        const dying = dyingAfter(disk, writes);
        const first = studioOn(dying, silentLogger, refused ? 100_000 : 10_000_000);
        const request = internalsOf(first).accept(actor(TENANT, 'u1'), generationInput('a kite over the dunes'), { platform: 'test' });
        const outcome = await Promise.race([
          request.then(
            () => 'accepted',
            (e: unknown) => (e instanceof UserFacingError ? e.code : 'error'),
          ),
          // Once the store stops answering, the request can never finish: the process is dead.
          dying.died,
        ]);
        if (outcome !== 'killed') {
          assert.equal(outcome, refused ? 'budget_exceeded' : 'accepted');
          completedAt = writes;
        }
        // The next start on what reached the disk.
        const next = studioOn(disk);
        await next.reconcile();
        const end = await endState(disk);
        if (end.jobs.length === 0) {
          assert.equal(end.reserved, 0, `kill after write ${writes}: no job, so nothing may stay reserved`);
          assert.equal(end.listed, 0, `kill after write ${writes}: no job is listed`);
          assert.equal(end.records, 0, `kill after write ${writes}: no job record is left`);
        } else {
          assert.ok(!refused, `kill after write ${writes}: a refused request left a job`);
          assert.equal(end.jobs.length, 1);
          assert.equal(end.reserved, ESTIMATE, `kill after write ${writes}: the job that resumes holds its reservation`);
          assert.equal(end.listed, 1, `kill after write ${writes}: the job is listed for /sora status`);
        }
        if (!refused && outcome === 'accepted') assert.equal(end.jobs.length, 1, 'an accepted request keeps its job');
      }
      // Every write of the request was a kill point (index, record, ledger registry, ledger month, recent list).
      assert.ok(completedAt! >= (refused ? 3 : 5), `the request made ${completedAt} writes`);
    });
  }
});

describe('start-up reconciliation repairs each trace a crash can leave (SQLite)', () => {
  let dir: string;
  let store: KeyValueStore;
  let n = 0;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'acceptance-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh SQLite file, one accepted job in it, and a way to reopen it as the next process would. */
  async function withAcceptedJob(): Promise<{ job: JobRecord; jobs: JobStore; ledger: KeyValueLedger; reopen: () => Promise<{ jobs: JobStore; ledger: KeyValueLedger; logs: LogCapture; repairs: Awaited<ReturnType<typeof reconcileAcceptance>> }> }> {
    const file = path.join(dir, `bot-${n++}.sqlite`);
    store = await openStore(`sqlite://${file}`, { dataDir: dir, logger: silentLogger });
    const accepted = await internalsOf(studioOn(store)).accept(actor(TENANT, 'u1'), generationInput('a lantern festival'), { platform: 'test' });
    await store.close();
    store = await openStore(`sqlite://${file}`, { dataDir: dir, logger: silentLogger });
    const reopen = async () => {
      await store.close();
      store = await openStore(`sqlite://${file}`, { dataDir: dir, logger: silentLogger });
      const logs = new LogCapture();
      const jobs = new JobStore(store);
      const ledger = new KeyValueLedger(store);
      const repairs = await reconcileAcceptance({ jobs, ledger, logger: createLogger({ level: 'info', secrets: [], destination: logs }) });
      return { jobs, ledger, logs, repairs };
    };
    return { job: accepted.job, jobs: new JobStore(store), ledger: new KeyValueLedger(store), reopen };
  }

  it('an accepted, never-started job stays, keeps its reservation and is resumed', async () => {
    const { job, reopen } = await withAcceptedJob();
    const next = await reopen();
    assert.deepEqual(next.repairs, { danglingIndexEntries: 0, discardedIntents: 0, republished: 0, reindexed: 0, released: 0 });
    assert.deepEqual((await next.jobs.activeJobs()).map((j) => [j.id, j.started]), [[job.id, false]]);
    assert.equal(await next.ledger.held(TENANT, job.ledgerMonth, job.id), ESTIMATE);
    await store.close();
  });

  it('an intent whose reservation was never made is removed', async () => {
    const { job, ledger, reopen } = await withAcceptedJob();
    await ledger.release(TENANT, job.ledgerMonth, job.id); // as if the kill came before `reserve`
    const next = await reopen();
    assert.equal(next.repairs.discardedIntents, 1);
    assert.equal(await next.jobs.get(job.id), undefined);
    assert.deepEqual(await next.jobs.activeIds(), []);
    assert.deepEqual(await next.jobs.recent(TENANT), []);
    assert.match(next.logs.text, /removed a job whose acceptance stopped before its reservation/);
    await store.close();
  });

  it('an active-index entry with no record is dropped', async () => {
    const { jobs, reopen } = await withAcceptedJob();
    await jobs.reindex({ id: 'ghost-job', tenant: TENANT } as JobRecord);
    const next = await reopen();
    assert.equal(next.repairs.danglingIndexEntries, 1);
    assert.ok(!(await next.jobs.activeIds()).includes('ghost-job'));
    assert.match(next.logs.text, /dropped an active-index entry that names no job/);
    await store.close();
  });

  it('a reservation without a job is released', async () => {
    const { job, ledger, reopen } = await withAcceptedJob();
    // The old order's crash: reserved, then killed before the job record existed.
    await ledger.reserve({ tenant: TENANT, userId: 'u2', userName: 'Bob', jobId: 'never-written', month: job.ledgerMonth, micros: 240_000, caps: { tenantCapMicros: 10_000_000, userCapMicros: 10_000_000 } });
    const next = await reopen();
    assert.equal(next.repairs.released, 1);
    const summary = await next.ledger.summary(TENANT, job.ledgerMonth);
    assert.equal(summary.total.reservedMicros, ESTIMATE, 'only the live job still holds money');
    assert.equal(summary.byUser.u2!.reservedMicros, 0);
    assert.match(next.logs.text, /released a reservation that no live job holds/);
    await store.close();
  });

  it('a reservation held by an ended job is released', async () => {
    const { job, jobs, reopen } = await withAcceptedJob();
    await jobs.save({ ...job, state: 'failed', error: { code: 'internal', message: 'x' } });
    const next = await reopen();
    assert.equal(next.repairs.released, 1);
    assert.equal((await next.ledger.summary(TENANT, job.ledgerMonth)).total.reservedMicros, 0);
    await store.close();
  });

  it('a reserved job missing from the active index is indexed again, so it resumes', async () => {
    const { job, jobs, reopen } = await withAcceptedJob();
    // The old order's crash: record and reservation written, killed before the index write.
    await jobs.unindex(job.id);
    await jobs.save({ ...job, started: true });
    const next = await reopen();
    assert.equal(next.repairs.reindexed, 1);
    assert.deepEqual((await next.jobs.activeJobs()).map((j) => j.id), [job.id]);
    assert.equal(await next.ledger.held(TENANT, job.ledgerMonth, job.id), ESTIMATE);
    assert.match(next.logs.text, /indexed a reserved job the active index had lost/);
    await store.close();
  });

  it('a reserved job a crash left out of the recent list is listed again', async () => {
    const { job, reopen } = await withAcceptedJob();
    const raw = store;
    await raw.set(`jobs:recent:${TENANT}`, []);
    const next = await reopen();
    assert.equal(next.repairs.republished, 1);
    assert.deepEqual((await next.jobs.recent(TENANT)).map((j) => j.id), [job.id]);
    await store.close();
  });

  it('a month with no open reservation is forgotten by the scan', async () => {
    const { job, ledger, reopen } = await withAcceptedJob();
    await ledger.settle({ tenant: TENANT, jobId: job.id, month: job.ledgerMonth, backend: 'openai', priceMicros: ESTIMATE, officialMicros: ESTIMATE });
    await reopen();
    assert.deepEqual(await store.get('ledger:open-months'), []);
    await store.close();
  });
});
