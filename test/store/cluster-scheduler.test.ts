/**
 * The scheduler shared by replicas on one Postgres (src/store/sql/cluster-scheduler.ts):
 * per-team and per-backend limits hold across replicas, a queue position counts the
 * other replicas' waiting jobs, a freed slot goes to the next job in the cluster's
 * line whichever replica follows it, and a dead replica's slots are freed.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import type { SchedulerEntry } from '../../src/core/scheduler.js';
import { silentLogger } from '../../src/log.js';
import { openSqlStore, type SqlStore } from '../../src/store/sql/index.js';
import type { ClusterScheduler } from '../../src/store/sql/cluster-scheduler.js';
import { freshSchema, type TestSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';

const hasPostgres = await serviceAvailable('postgres', 'the cluster scheduler on Postgres (test/store/cluster-scheduler.test.ts)');
const schemas: TestSchema[] = [];
after(async () => {
  for (const s of schemas) await s.drop();
});

describe('the cluster scheduler on Postgres', { skip: !hasPostgres && 'Postgres is not reachable (see the SKIPPED line above)' }, () => {
  it('limits, positions and freed slots hold across two replicas; a dead replica’s slots are freed', async () => {
    const schema = await freshSchema('clusterline');
    schemas.push(schema);
    let now = 1_000_000;
    const clock = new ManualClock(now); // the periodic pass never fires: each pass below is asked for
    const open = (id: string) => openSqlStore(schema.url, { dataDir: os.tmpdir(), logger: silentLogger, replica: { id, now: () => now, timeoutMs: 30_000 } });
    const stores: SqlStore[] = [await open('a'), await open('b')];
    const limits = { perBackend: () => 3, perTenant: 2 };
    const [a, b] = stores.map((s) => s.scheduler(limits, clock, silentLogger)) as [ClusterScheduler, ClusterScheduler];
    const started: Record<string, string[]> = { a: [], b: [] };
    a.onDispatch((e) => started.a!.push(e.jobId));
    b.onDispatch((e) => started.b!.push(e.jobId));
    let bToldLineMoved = 0;
    b.onLineMoved(() => bToldLineMoved++);
    const job = (jobId: string, tenant: string): SchedulerEntry => ({ jobId, tenant, backend: 'kling' });
    const enqueue = async (s: ClusterScheduler, entry: SchedulerEntry) => {
      now += 1; // joining order is the line's order
      s.enqueue(entry);
      await s.settled();
    };
    try {
      // Team A has three jobs on replica a and one on b; team B two on b.
      for (const id of ['A1', 'A2', 'A3']) await enqueue(a, job(id, 'A'));
      await enqueue(b, job('A4', 'A'));
      await enqueue(b, job('B1', 'B'));
      await enqueue(b, job('B2', 'B'));
      await a.pass();
      await b.pass();
      await a.pass();
      // Team A's limit of 2 holds over both replicas, the backend's 3 too.
      assert.deepEqual(started, { a: ['A1', 'A2'], b: ['B1'] });
      assert.equal(a.running + b.running, 3);

      // The line, across replicas: team B runs fewer jobs, so B2 goes first, then A3 (on a), then A4.
      await b.pass();
      assert.equal(b.position('B2'), 1);
      assert.equal(a.position('A3'), 2);
      assert.equal(b.position('A4'), 3, 'b counts the job waiting on a');

      // A slot freed on a team A job: A and B now run one each, and A3 has waited longer than B2, so it goes.
      a.finish('A1');
      await a.settled();
      await b.pass();
      assert.deepEqual(started.a, ['A1', 'A2', 'A3']);
      assert.deepEqual(started.b, ['B1'], 'b did not take the slot meant for the head of the line');
      assert.equal(b.position('B2'), 1, 'b sees the line move on a');
      assert.ok(bToldLineMoved > 0, 'and tells its runner, so the status messages show the new places');
      // Freed on b: B2 is next (team A is at its limit).
      b.finish('B1');
      await b.settled();
      assert.deepEqual(started.b, ['B1', 'B2']);
      assert.equal(b.position('A4'), 1);

      // Replica a stops being seen (a heartbeat late on a busy machine): its two slots and its waiting A5 are
      // dropped, and team A's job on b runs.
      await enqueue(a, job('A5', 'A'));
      now += 31_000;
      await stores[1]!.jobs.heartbeat();
      await b.pass();
      assert.deepEqual(started.b, ['B1', 'B2', 'A4']);
      // a was alive after all: its next pass puts its rows back, so A5 is still in line (behind the slots
      // a holds) instead of waiting forever for a row that no longer exists.
      await stores[0]!.jobs.heartbeat();
      await a.pass();
      assert.equal(a.position('A5'), 1);
      a.finish('A2');
      a.finish('A3');
      await a.settled();
      assert.deepEqual(started.a, ['A1', 'A2', 'A3', 'A5'], 'A5 runs once a slot of team A is free');
    } finally {
      for (const s of [a, b]) await s.close();
      for (const s of stores) await s.close();
    }
  });
});
