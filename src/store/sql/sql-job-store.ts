/**
 * Jobs in a table: the record as JSON plus the columns the queries use. With
 * the ledger in the same database, acceptance is one transaction
 * (`createReserved`): the job, its reservation and the reservation's audit
 * entry are durable together, so no half-accepted job exists for another
 * process to trip over and the audit trail adds up to the ledger exactly.
 */
import type { Kysely, Transaction } from 'kysely';
import { reserveEntry } from '../../core/audited-ledger.js';
import { JobMovedOn } from '../../core/job-lifecycle.js';
import type { JobRepository, ReservationRequest, ReservationResult } from '../../core/ports.js';
import { TERMINAL_STATES, type JobRecord, type TenantId } from '../../core/types.js';
import type { Tables } from './schema.js';
import type { SqlAuditLog } from './sql-audit-log.js';
import { ReservationRefused, type SqlLedger } from './sql-ledger.js';

/** As many as the key-value store's recent list holds (core/job-store.ts). */
const RECENT_PER_TENANT = 50;
const TERMINAL = [...TERMINAL_STATES];

const parse = (row: { record: string } | undefined): JobRecord | undefined => (row ? (JSON.parse(row.record) as JobRecord) : undefined);

/** This process among the replicas sharing the database. */
export interface Replica {
  id: string;
  now: () => number;
  /** A replica not seen for this long is taken for dead, and its jobs for orphans. */
  timeoutMs: number;
}

export class SqlJobStore implements JobRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly ledger: SqlLedger,
    private readonly replica: Replica,
    private readonly audit: SqlAuditLog,
    /** Where the heartbeat is written: a connection of its own on Postgres (database.ts). */
    private readonly beats: Kysely<Tables> = db,
  ) {}

  private row(job: JobRecord, active: boolean, listed: boolean) {
    return {
      id: job.id,
      tenant: job.tenant,
      state: job.state,
      active: active ? 1 : 0,
      listed: listed ? 1 : 0,
      owner: this.replica.id,
      created_at: job.createdAt,
      updated_at: job.updatedAt,
      record: JSON.stringify(job),
    };
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    return parse(await this.db.selectFrom('jobs').select('record').where('id', '=', jobId).executeTakeFirst());
  }

  async getForTenant(tenant: TenantId, jobId: string): Promise<JobRecord | undefined> {
    return parse(await this.db.selectFrom('jobs').select('record').where('id', '=', jobId).where('tenant', '=', tenant).executeTakeFirst());
  }

  async create(job: JobRecord): Promise<void> {
    const row = this.row(job, true, false);
    await this.db
      .insertInto('jobs')
      .values(row)
      .onConflict((c) => c.column('id').doUpdateSet({ record: row.record, state: row.state, updated_at: row.updated_at, active: 1, owner: row.owner }))
      .execute();
  }

  /** A storyboard's shots and their reservations in one transaction: all accepted, or none. */
  async createReservedAll(jobs: JobRecord[], reservations: ReservationRequest[]): Promise<ReservationResult> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        for (const job of jobs) await trx.insertInto('jobs').values(this.row(job, true, true)).execute();
        const result = await this.ledger.reserveAllIn(trx, reservations);
        // The jobs are new (their insert would have failed otherwise): nothing was held for them before.
        for (const r of reservations) await this.audited(trx, r, 0);
        return result;
      });
    } catch (error) {
      if (error instanceof ReservationRefused) return error.result;
      throw error;
    }
  }

  async createReserved(job: JobRecord, reservation: ReservationRequest): Promise<ReservationResult> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('jobs').values(this.row(job, true, true)).execute();
        const result = await this.ledger.reserveIn(trx, reservation);
        await this.audited(trx, reservation, result.previousMicros);
        return result;
      });
    } catch (error) {
      if (error instanceof ReservationRefused) return error.result;
      throw error;
    }
  }

  private async audited(trx: Transaction<Tables>, request: ReservationRequest, previousMicros: number): Promise<void> {
    const entry = reserveEntry(request, previousMicros);
    if (entry) await this.audit.appendIn(trx, request.tenant, entry, request.month);
  }

  async publish(job: JobRecord): Promise<void> {
    await this.db.updateTable('jobs').set({ listed: 1 }).where('id', '=', job.id).execute();
  }

  async discard(job: JobRecord): Promise<void> {
    await this.db.deleteFrom('jobs').where('id', '=', job.id).execute();
  }

  async reindex(job: JobRecord): Promise<void> {
    await this.db.updateTable('jobs').set({ active: 1 }).where('id', '=', job.id).execute();
  }

  async unindex(jobId: string): Promise<void> {
    await this.db.updateTable('jobs').set({ active: 0 }).where('id', '=', jobId).execute();
  }

  async activeIds(): Promise<string[]> {
    return (await this.db.selectFrom('jobs').select('id').where('active', '=', 1).execute()).map((r) => r.id);
  }

  async isActive(jobId: string): Promise<boolean> {
    return (await this.db.selectFrom('jobs').select('id').where('id', '=', jobId).where('active', '=', 1).executeTakeFirst()) !== undefined;
  }

  async isRecent(job: JobRecord): Promise<boolean> {
    return (await this.db.selectFrom('jobs').select('id').where('id', '=', job.id).where('listed', '=', 1).executeTakeFirst()) !== undefined;
  }

  async save(job: JobRecord, previous?: JobRecord): Promise<void> {
    const terminal = TERMINAL_STATES.has(job.state);
    const change = { record: JSON.stringify(job), state: job.state, updated_at: job.updatedAt, ...(terminal && { active: 0 }) };
    if (previous) {
      // Compare-and-set on the whole stored record (it is JSON.stringify of what `get` parsed, byte for
      // byte): of two replicas making the same move from the same read, exactly one writes.
      const updated = await this.db.updateTable('jobs').set(change).where('id', '=', job.id).where('record', '=', JSON.stringify(previous)).executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw new JobMovedOn(job.id);
      return;
    }
    const updated = await this.db.updateTable('jobs').set(change).where('id', '=', job.id).executeTakeFirst();
    if (updated.numUpdatedRows === 0n) await this.db.insertInto('jobs').values(this.row(job, false, false)).onConflict((c) => c.column('id').doUpdateSet(change)).execute();
  }

  async activeJobs(): Promise<JobRecord[]> {
    const rows = await this.db.selectFrom('jobs').select('record').where('active', '=', 1).where('state', 'not in', TERMINAL).orderBy('created_at').execute();
    return rows.map((r) => parse(r)!);
  }

  /** Says this replica is alive; a replica that stops saying so loses its jobs to the others. */
  async heartbeat(): Promise<void> {
    const seen = this.replica.now();
    await this.beats
      .insertInto('replicas')
      .values({ id: this.replica.id, seen_at: seen })
      .onConflict((c) => c.column('id').doUpdateSet({ seen_at: seen }))
      .execute();
  }

  /** A replica that stops on purpose says so, and the others take its jobs at their next look. */
  async forget(): Promise<void> {
    await this.beats.deleteFrom('replicas').where('id', '=', this.replica.id).execute();
  }

  /** At start: this replica's own unfinished jobs (from before a restart) and any orphans. */
  claimActive(): Promise<JobRecord[]> {
    return this.claim(true);
  }

  /** Later: only the jobs of replicas no longer seen alive (this replica's own are already followed or still being accepted). */
  claimOrphans(db: Kysely<Tables> = this.db): Promise<JobRecord[]> {
    return this.claim(false, db);
  }

  /**
   * One UPDATE: when two replicas claim at once, Postgres re-checks the second's WHERE after the
   * first commits (the owner is then alive), so each orphan gets exactly one new owner.
   */
  private async claim(own: boolean, db: Kysely<Tables> = this.db): Promise<JobRecord[]> {
    const me = this.replica.id;
    const alive = db.selectFrom('replicas').select('id').where('seen_at', '>=', this.replica.now() - this.replica.timeoutMs);
    const rows = await db
      .updateTable('jobs')
      .set({ owner: me })
      .where('active', '=', 1)
      .where('state', 'not in', TERMINAL)
      .where((eb) => eb.or([eb('owner', 'is', null), ...(own ? [eb('owner', '=', me)] : []), eb.and([eb('owner', '!=', me), eb('owner', 'not in', alive)])]))
      .returning(['record', 'created_at'])
      .execute();
    return rows.sort((a, b) => Number(a.created_at) - Number(b.created_at)).map((r) => parse(r)!);
  }

  async recent(tenant: TenantId): Promise<JobRecord[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .select('record')
      .where('tenant', '=', tenant)
      .where('listed', '=', 1)
      .orderBy('created_at', 'desc')
      .limit(RECENT_PER_TENANT)
      .execute();
    return rows.map((r) => parse(r)!);
  }
}
