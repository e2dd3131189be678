/**
 * The scheduler port (core/scheduler.ts) for replicas sharing Postgres:
 * BACKEND_CONCURRENCY and TENANT_CONCURRENCY hold for the whole cluster, and a
 * queue position counts every replica's waiting jobs.
 *
 * Two tables: `queue_line` (every waiting job, the replica that follows it,
 * when it joined) and `run_slots` (every job holding a provider slot). A
 * replica dispatches only its own jobs, in one transaction holding one row lock
 * lock: it drops the rows of replicas no longer seen alive (their jobs are
 * re-queued by whoever takes them over), orders the whole line (teams take
 * turns, the team with the fewest jobs running first), walks it counting slots, and takes
 * the slots that fall to its own jobs. A slot that falls to another replica's
 * job is left for that replica and still counted, so this replica's later jobs
 * never jump the line.
 *
 * The port is synchronous (the runner asks for a position without waiting):
 * the tables are written behind it, in order, on one promise chain, and every
 * pass refreshes the positions this replica reports. A replica with jobs
 * waiting looks again every PASS_INTERVAL_MS, which bounds how long a slot
 * another replica freed stays unused.
 *
 * Why not pg-boss, graphile-worker or BullMQ (README "Running several
 * replicas"): none of them, on Node 20 and free, limits how many jobs of one
 * group run at once to N > 1 across workers; a team limit of 2 is the point.
 */
import type { Kysely } from 'kysely';
import { repeatEvery, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/ports.js';
import { takingTurns, type Scheduler, type SchedulerEntry } from '../../core/scheduler.js';
import type { Tables } from './schema.js';

/** How often a replica with waiting jobs looks for slots freed elsewhere. */
export const PASS_INTERVAL_MS = 1_000;
/**
 * One lock for the whole line, a row of this schema's `chores` table locked FOR UPDATE: a pass is a few small
 * queries, and slots are taken a few times a minute. Not an advisory lock: those are database-wide, so bots
 * on other schemas of the same database (other deployments, parallel tests) would queue behind each other.
 */
const LINE_LOCK = 'cluster-line';

export interface ClusterSchedulerOptions {
  db: Kysely<Tables>;
  replica: { id: string; now: () => number; timeoutMs: number };
  limits: { perBackend: (backend: string) => number; perTenant: number };
  clock: Clock;
  logger: Logger;
}

interface LineRow {
  job_id: string;
  tenant: string;
  backend: string;
  owner: string;
}

export class ClusterScheduler implements Scheduler {
  private readonly waitingHere = new Map<string, SchedulerEntry>();
  /** When each waiting job joined, to put back a row another replica dropped (below). */
  private readonly joinedAt = new Map<string, number>();
  private readonly runningHere = new Map<string, SchedulerEntry>();
  /** Positions of this replica's waiting jobs in the cluster's line, as of the last pass. */
  private linePositions = new Map<string, number>();
  private handler: (entry: SchedulerEntry) => void = () => {};
  private lineMoved: () => void = () => {};
  private chain: Promise<unknown> = Promise.resolve();
  private passQueued = false;
  private readonly stopTimer: () => Promise<void>;

  constructor(private readonly options: ClusterSchedulerOptions) {
    this.stopTimer = repeatEvery(options.clock, PASS_INTERVAL_MS, async () => {
      if (this.waitingHere.size > 0) await this.pass();
    });
  }

  onDispatch(handler: (entry: SchedulerEntry) => void): void {
    this.handler = handler;
  }

  onLineMoved(handler: () => void): void {
    this.lineMoved = handler;
  }

  get waiting(): number {
    return this.waitingHere.size;
  }

  get running(): number {
    return this.runningHere.size;
  }

  enqueue(entry: SchedulerEntry): void {
    if (this.waitingHere.has(entry.jobId) || this.runningHere.has(entry.jobId)) return;
    this.waitingHere.set(entry.jobId, entry);
    const joinedAt = this.options.replica.now();
    this.joinedAt.set(entry.jobId, joinedAt);
    this.write(async (db) => {
      // A job taken over from a dead replica joins under its new owner, keeping no stale row.
      await db
        .insertInto('queue_line')
        .values({ job_id: entry.jobId, tenant: entry.tenant, backend: entry.backend, owner: this.options.replica.id, joined_at: joinedAt })
        .onConflict((c) => c.column('job_id').doUpdateSet({ owner: this.options.replica.id, joined_at: joinedAt }))
        .execute();
    });
    void this.pass();
  }

  remove(jobId: string): boolean {
    if (!this.waitingHere.delete(jobId)) return false;
    this.joinedAt.delete(jobId);
    this.linePositions.delete(jobId);
    this.write((db) => db.deleteFrom('queue_line').where('job_id', '=', jobId).execute());
    return true;
  }

  finish(jobId: string): void {
    if (!this.runningHere.delete(jobId)) return;
    this.write((db) => db.deleteFrom('run_slots').where('job_id', '=', jobId).execute());
    void this.pass();
  }

  /**
   * The job's place as of the last pass; undefined until a pass has placed it (it may well get a slot in
   * that pass: the runner then shows no "queued" line for a job that never waited, as with the in-memory line).
   */
  position(jobId: string): number | undefined {
    return this.waitingHere.has(jobId) ? this.linePositions.get(jobId) : undefined;
  }

  positions(): Map<string, number> {
    return new Map([...this.linePositions].filter(([jobId]) => this.waitingHere.has(jobId)));
  }

  /** Resolves when every write and pass asked for so far is done (tests, shutdown). */
  async settled(): Promise<void> {
    for (let seen: Promise<unknown> | undefined; seen !== this.chain; ) {
      seen = this.chain;
      await seen;
    }
  }

  /** Stops looking for slots; rows stay, and go when this replica is no longer seen alive. */
  async close(): Promise<void> {
    await this.stopTimer();
    await this.settled();
  }

  /** One look at the line: take the slots that fall to this replica's jobs. Queued behind pending writes. */
  pass(): Promise<void> {
    if (this.passQueued) return this.settled();
    this.passQueued = true;
    const run = this.chain.then(async () => {
      this.passQueued = false;
      const taken = await this.takeSlots();
      for (const entry of taken) this.handler(entry);
    });
    this.chain = run.catch((error: unknown) => this.options.logger.warn({ err: error }, 'cluster queue pass failed; the next one retries'));
    return this.chain.then(() => undefined);
  }

  private write(op: (db: Kysely<Tables>) => Promise<unknown>): void {
    // A pass already queued runs before this write: the next pass asked for must come after it.
    this.passQueued = false;
    this.chain = this.chain.then(() => op(this.options.db)).catch((error: unknown) => this.options.logger.warn({ err: error }, 'cluster queue write failed'));
  }

  private async takeSlots(): Promise<SchedulerEntry[]> {
    const { db, replica, limits } = this.options;
    const now = replica.now();
    return db.transaction().execute(async (trx) => {
      await trx.insertInto('chores').values({ name: LINE_LOCK, due_at: 0, holder: null }).onConflict((c) => c.column('name').doNothing()).execute();
      await trx.selectFrom('chores').select('name').where('name', '=', LINE_LOCK).forUpdate().execute();
      const alive = trx.selectFrom('replicas').select('id').where('seen_at', '>=', now - replica.timeoutMs);
      await trx.deleteFrom('run_slots').where('owner', 'not in', alive).execute();
      await trx.deleteFrom('queue_line').where('owner', 'not in', alive).execute();
      await this.restoreDropped(trx);
      const line = await trx.selectFrom('queue_line').select(['job_id', 'tenant', 'backend', 'owner']).orderBy('joined_at').orderBy('job_id').execute();
      const slots = await trx.selectFrom('run_slots').select(['tenant', 'backend']).execute();
      const byBackend = count(slots.map((s) => s.backend));
      const byTenant = count(slots.map((s) => s.tenant));
      const positions = new Map<string, number>();
      const mine: SchedulerEntry[] = [];
      for (const [backend, order] of lineOrder(line, slots)) {
        let position = 0;
        for (const row of order) {
          const fits = (byBackend.get(backend) ?? 0) < limits.perBackend(backend) && (byTenant.get(row.tenant) ?? 0) < limits.perTenant;
          if (!fits) {
            positions.set(row.job_id, ++position);
            continue;
          }
          // The slot falls to this job, on whichever replica follows it.
          byBackend.set(backend, (byBackend.get(backend) ?? 0) + 1);
          byTenant.set(row.tenant, (byTenant.get(row.tenant) ?? 0) + 1);
          const entry = row.owner === replica.id ? this.waitingHere.get(row.job_id) : undefined;
          if (entry) mine.push(entry);
          else positions.set(row.job_id, ++position);
        }
      }
      if (mine.length > 0) {
        await trx
          .insertInto('run_slots')
          .values(mine.map((e) => ({ job_id: e.jobId, tenant: e.tenant, backend: e.backend, owner: replica.id, since: now })))
          .onConflict((c) => c.column('job_id').doUpdateSet({ owner: replica.id, since: now }))
          .execute();
        await trx.deleteFrom('queue_line').where('job_id', 'in', mine.map((e) => e.jobId)).execute();
      }
      for (const entry of mine) {
        this.waitingHere.delete(entry.jobId);
        this.joinedAt.delete(entry.jobId);
        this.runningHere.set(entry.jobId, entry);
      }
      const before = this.linePositions;
      this.linePositions = new Map([...positions].filter(([jobId]) => this.waitingHere.has(jobId)));
      if ([...this.linePositions].some(([jobId, p]) => before.get(jobId) !== p)) this.lineMoved();
      return mine;
    });
  }

  /**
   * Puts back this replica's rows that another replica dropped because this one looked dead (a heartbeat
   * late on a busy machine): without them its waiting jobs would never be dispatched and its slots would
   * not be counted. A job another replica has really taken over is refused to this one at its next write
   * (the jobs table's compare-and-set), which then finishes or removes it here.
   */
  private async restoreDropped(trx: Kysely<Tables>): Promise<void> {
    const { replica } = this.options;
    if (this.waitingHere.size > 0) {
      const present = new Set((await trx.selectFrom('queue_line').select('job_id').where('owner', '=', replica.id).execute()).map((r) => r.job_id));
      const lost = [...this.waitingHere.values()].filter((e) => !present.has(e.jobId));
      if (lost.length > 0) {
        const rows = lost.map((e) => ({ job_id: e.jobId, tenant: e.tenant, backend: e.backend, owner: replica.id, joined_at: this.joinedAt.get(e.jobId) ?? replica.now() }));
        await trx.insertInto('queue_line').values(rows).onConflict((c) => c.column('job_id').doNothing()).execute();
        this.options.logger.warn({ jobs: lost.map((e) => e.jobId) }, 'put back waiting jobs another replica dropped from the line');
      }
    }
    if (this.runningHere.size > 0) {
      const held = new Set((await trx.selectFrom('run_slots').select('job_id').where('owner', '=', replica.id).execute()).map((r) => r.job_id));
      const lost = [...this.runningHere.values()].filter((e) => !held.has(e.jobId));
      if (lost.length > 0) {
        const rows = lost.map((e) => ({ job_id: e.jobId, tenant: e.tenant, backend: e.backend, owner: replica.id, since: replica.now() }));
        await trx.insertInto('run_slots').values(rows).onConflict((c) => c.column('job_id').doNothing()).execute();
      }
    }
  }
}

/**
 * Each backend's waiting rows in the order they would run: teams take turns, and the team with the fewest
 * jobs running on that backend goes first (the cluster's stand-in for the in-memory scheduler's "least
 * recently served"), then the one whose first waiting job joined earliest.
 */
function lineOrder(line: readonly LineRow[], slots: readonly { tenant: string; backend: string }[]): Map<string, LineRow[]> {
  const byBackend = new Map<string, Map<string, LineRow[]>>();
  for (const row of line) {
    const byTenant = byBackend.get(row.backend) ?? new Map<string, LineRow[]>();
    byBackend.set(row.backend, byTenant);
    const rows = byTenant.get(row.tenant) ?? [];
    byTenant.set(row.tenant, rows);
    rows.push(row);
  }
  const orders = new Map<string, LineRow[]>();
  for (const [backend, byTenant] of byBackend) {
    const running = count(slots.filter((s) => s.backend === backend).map((s) => s.tenant));
    // `line` is sorted by joining time, so the Map's insertion order breaks ties by the longest wait (sort is stable).
    const tenants = [...byTenant.keys()].sort((x, y) => (running.get(x) ?? 0) - (running.get(y) ?? 0));
    orders.set(backend, takingTurns(byTenant, tenants));
  }
  return orders;
}

function count(values: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(v, (out.get(v) ?? 0) + 1);
  return out;
}
