/**
 * Jobs in a table: the record as JSON plus the columns the queries use. With
 * the ledger in the same database, acceptance is one transaction
 * (`createReserved`): the job and its reservation are durable together, so no
 * half-accepted job exists for another process to trip over.
 */
import type { Kysely } from 'kysely';
import type { JobRepository, ReservationRequest, ReservationResult } from '../../core/ports.js';
import { TERMINAL_STATES, type JobRecord, type TenantId } from '../../core/types.js';
import type { Tables } from './schema.js';
import { ReservationRefused, type SqlLedger } from './sql-ledger.js';

/** As many as the key-value store's recent list holds (core/job-store.ts). */
const RECENT_PER_TENANT = 50;
const TERMINAL = [...TERMINAL_STATES];

const parse = (row: { record: string } | undefined): JobRecord | undefined => (row ? (JSON.parse(row.record) as JobRecord) : undefined);

export class SqlJobStore implements JobRepository {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly ledger: SqlLedger,
  ) {}

  private row(job: JobRecord, active: boolean, listed: boolean) {
    return {
      id: job.id,
      tenant: job.tenant,
      state: job.state,
      active: active ? 1 : 0,
      listed: listed ? 1 : 0,
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
      .onConflict((c) => c.column('id').doUpdateSet({ record: row.record, state: row.state, updated_at: row.updated_at, active: 1 }))
      .execute();
  }

  /** A storyboard's shots and their reservations in one transaction: all accepted, or none. */
  async createReservedAll(jobs: JobRecord[], reservations: ReservationRequest[]): Promise<ReservationResult> {
    try {
      return await this.db.transaction().execute(async (trx) => {
        for (const job of jobs) await trx.insertInto('jobs').values(this.row(job, true, true)).execute();
        return this.ledger.reserveAllIn(trx, reservations);
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
        return this.ledger.reserveIn(trx, reservation);
      });
    } catch (error) {
      if (error instanceof ReservationRefused) return error.result;
      throw error;
    }
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

  async save(job: JobRecord): Promise<void> {
    const terminal = TERMINAL_STATES.has(job.state);
    const change = { record: JSON.stringify(job), state: job.state, updated_at: job.updatedAt, ...(terminal && { active: 0 }) };
    const updated = await this.db.updateTable('jobs').set(change).where('id', '=', job.id).executeTakeFirst();
    if (updated.numUpdatedRows === 0n) await this.db.insertInto('jobs').values(this.row(job, false, false)).onConflict((c) => c.column('id').doUpdateSet(change)).execute();
  }

  async activeJobs(): Promise<JobRecord[]> {
    const rows = await this.db.selectFrom('jobs').select('record').where('active', '=', 1).where('state', 'not in', TERMINAL).orderBy('created_at').execute();
    return rows.map((r) => parse(r)!);
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
