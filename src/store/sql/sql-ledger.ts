/**
 * The budget ledger in tables. A reservation is one conditional UPDATE per cap,
 *
 *   UPDATE ledger_months SET reserved = reserved + :delta
 *    WHERE tenant = :t AND month = :m AND spent + reserved + :delta <= :cap
 *
 * then the same on the member's row, in one transaction. Postgres re-checks the
 * WHERE clause against the newest row once a concurrent writer commits
 * (https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED),
 * so no number of processes can overspend a cap; SQLite has one writer at a
 * time. Rows are always locked team first, then member, so two transactions
 * never wait on each other in a cycle.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Micros } from '../../core/money.js';
import type { ClosedReservation, Ledger, MonthSummary, OpenReservation, ReservationRequest, ReservationResult, Settlement, SpendLine } from '../../core/ports.js';
import type { Tables } from './schema.js';

type Db = Kysely<Tables> | Transaction<Tables>;

/** Thrown inside a transaction to roll it back; carries the refusal to the caller. */
export class ReservationRefused extends Error {
  constructor(readonly result: Extract<ReservationResult, { ok: false }>) {
    super(`reservation refused (${result.scope} cap)`);
  }
}

const n = (value: number | string | bigint | null | undefined): number => Number(value ?? 0);

export class SqlLedger implements Ledger {
  constructor(private readonly db: Kysely<Tables>) {}

  /** The reservation inside a caller's transaction; throws ReservationRefused so the whole transaction rolls back. */
  async reserveIn(trx: Db, request: ReservationRequest): Promise<Extract<ReservationResult, { ok: true }>> {
    assertAmount(request.micros);
    const { tenant, month, userId, userName, jobId, micros, caps } = request;
    await trx.insertInto('ledger_months').values({ tenant, month, spent: 0, reserved: 0 }).onConflict((c) => c.doNothing()).execute();
    await trx
      .insertInto('ledger_members')
      .values({ tenant, month, user_id: userId, name: userName, spent: 0, reserved: 0 })
      .onConflict((c) => c.doNothing())
      .execute();
    // A retried request for the same job replaces what it holds instead of holding twice.
    const held = n((await trx.selectFrom('reservations').select('micros').where('job_id', '=', jobId).executeTakeFirst())?.micros);
    const delta = micros - held;

    const team = await trx
      .updateTable('ledger_months')
      .set({ reserved: sql`reserved + ${delta}` })
      .where('tenant', '=', tenant)
      .where('month', '=', month)
      .where(sql<boolean>`spent + reserved + ${delta} <= ${caps.tenantCapMicros}`)
      .returning(['spent', 'reserved'])
      .executeTakeFirst();
    if (!team) {
      const row = await trx.selectFrom('ledger_months').select(['spent', 'reserved']).where('tenant', '=', tenant).where('month', '=', month).executeTakeFirstOrThrow();
      const left = caps.tenantCapMicros - (n(row.spent) + n(row.reserved) - held);
      throw new ReservationRefused({ ok: false, scope: 'tenant', leftMicros: Math.max(0, left), capMicros: caps.tenantCapMicros });
    }
    const member = await trx
      .updateTable('ledger_members')
      .set({ reserved: sql`reserved + ${delta}`, name: userName })
      .where('tenant', '=', tenant)
      .where('month', '=', month)
      .where('user_id', '=', userId)
      .where(sql<boolean>`spent + reserved + ${delta} <= ${caps.userCapMicros}`)
      .returning(['spent', 'reserved'])
      .executeTakeFirst();
    if (!member) {
      const row = await trx
        .selectFrom('ledger_members')
        .select(['spent', 'reserved'])
        .where('tenant', '=', tenant)
        .where('month', '=', month)
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      const left = caps.userCapMicros - (n(row.spent) + n(row.reserved) - held);
      throw new ReservationRefused({ ok: false, scope: 'user', leftMicros: Math.max(0, left), capMicros: caps.userCapMicros });
    }
    await trx
      .insertInto('reservations')
      .values({ job_id: jobId, tenant, month, user_id: userId, micros })
      .onConflict((c) => c.column('job_id').doUpdateSet({ micros }))
      .execute();
    return {
      ok: true,
      tenantLeftMicros: caps.tenantCapMicros - n(team.spent) - n(team.reserved),
      userLeftMicros: caps.userCapMicros - n(member.spent) - n(member.reserved),
      previousMicros: held,
    };
  }

  async reserve(request: ReservationRequest): Promise<ReservationResult> {
    try {
      return await this.db.transaction().execute((trx) => this.reserveIn(trx, request));
    } catch (error) {
      if (error instanceof ReservationRefused) return error.result;
      throw error;
    }
  }

  /**
   * Several reservations in the caller's transaction: each conditional UPDATE sees the ones before
   * it, so the sum is what is checked, and one refusal rolls back all of them.
   */
  async reserveAllIn(trx: Db, requests: ReservationRequest[]): Promise<Extract<ReservationResult, { ok: true }>> {
    let result: Extract<ReservationResult, { ok: true }> | undefined;
    let earlier = 0;
    for (const request of requests) {
      try {
        result = await this.reserveIn(trx, request);
      } catch (error) {
        // What was left before this batch, not after its first members.
        if (error instanceof ReservationRefused) throw new ReservationRefused({ ...error.result, leftMicros: Math.min(error.result.capMicros, error.result.leftMicros + earlier) });
        throw error;
      }
      earlier += request.micros;
    }
    if (!result) throw new RangeError('reserveAll needs at least one reservation');
    return result;
  }

  async reserveAll(requests: ReservationRequest[]): Promise<ReservationResult> {
    try {
      return await this.db.transaction().execute((trx) => this.reserveAllIn(trx, requests));
    } catch (error) {
      if (error instanceof ReservationRefused) return error.result;
      throw error;
    }
  }

  adjust(request: ReservationRequest): Promise<ReservationResult> {
    return this.reserve(request);
  }

  async settle(settlement: Settlement): Promise<ClosedReservation | undefined> {
    assertAmount(settlement.priceMicros);
    return this.db.transaction().execute(async (trx) => {
      const open = await this.unhold(trx, settlement.tenant, settlement.month, settlement.jobId, settlement.priceMicros);
      if (!open) return undefined;
      await trx
        .insertInto('settlements')
        .values({
          job_id: settlement.jobId,
          tenant: settlement.tenant,
          month: settlement.month,
          user_id: open.userId,
          backend: settlement.backend,
          price: settlement.priceMicros,
          official: settlement.officialMicros,
        })
        .onConflict((c) => c.doNothing())
        .execute();
      return open;
    });
  }

  release(tenant: string, month: string, jobId: string): Promise<ClosedReservation | undefined> {
    return this.db.transaction().execute((trx) => this.unhold(trx, tenant, month, jobId, 0));
  }

  /** Ends a reservation, moving `spentMicros` of it to spent; nothing when the job holds none (idempotent). */
  private async unhold(trx: Db, tenant: string, month: string, jobId: string, spentMicros: Micros): Promise<ClosedReservation | undefined> {
    const open = await trx
      .deleteFrom('reservations')
      .where('job_id', '=', jobId)
      .where('tenant', '=', tenant)
      .where('month', '=', month)
      .returning(['user_id', 'micros'])
      .executeTakeFirst();
    if (!open) return undefined;
    const change = { reserved: sql<number>`reserved - ${n(open.micros)}`, spent: sql<number>`spent + ${spentMicros}` };
    await trx.updateTable('ledger_months').set(change).where('tenant', '=', tenant).where('month', '=', month).execute();
    const member = await trx
      .updateTable('ledger_members')
      .set(change)
      .where('tenant', '=', tenant)
      .where('month', '=', month)
      .where('user_id', '=', open.user_id)
      .returning('name')
      .executeTakeFirst();
    return { userId: open.user_id, userName: member?.name ?? open.user_id, micros: n(open.micros) };
  }

  async held(tenant: string, month: string, jobId: string): Promise<Micros | undefined> {
    const row = await this.db
      .selectFrom('reservations')
      .select('micros')
      .where('job_id', '=', jobId)
      .where('tenant', '=', tenant)
      .where('month', '=', month)
      .executeTakeFirst();
    return row ? n(row.micros) : undefined;
  }

  async openReservations(): Promise<OpenReservation[]> {
    const rows = await this.db.selectFrom('reservations').selectAll().execute();
    return rows.map((r) => ({ tenant: r.tenant, month: r.month, jobId: r.job_id, userId: r.user_id, micros: n(r.micros) }));
  }

  async summary(tenant: string, month: string): Promise<MonthSummary> {
    const [team, members, byUserRows, byBackendRows] = await Promise.all([
      this.db.selectFrom('ledger_months').select(['spent', 'reserved']).where('tenant', '=', tenant).where('month', '=', month).executeTakeFirst(),
      this.db.selectFrom('ledger_members').selectAll().where('tenant', '=', tenant).where('month', '=', month).execute(),
      this.db
        .selectFrom('settlements')
        .select(['user_id', sql<string>`sum(official)`.as('official'), sql<string>`sum(jobs)`.as('jobs')])
        .where('tenant', '=', tenant)
        .where('month', '=', month)
        .groupBy('user_id')
        .execute(),
      this.db
        .selectFrom('settlements')
        .select(['backend', sql<string>`sum(price)`.as('price'), sql<string>`sum(official)`.as('official'), sql<string>`sum(jobs)`.as('jobs')])
        .where('tenant', '=', tenant)
        .where('month', '=', month)
        .groupBy('backend')
        .execute(),
    ]);
    const perUser = new Map(byUserRows.map((r) => [r.user_id, r]));
    const line = (spent: unknown, reserved: unknown, official: unknown, jobs: unknown): SpendLine => ({
      spentMicros: n(spent as string),
      reservedMicros: n(reserved as string),
      officialMicros: n(official as string),
      jobs: n(jobs as string),
    });
    const byUser: MonthSummary['byUser'] = Object.create(null);
    for (const m of members) {
      const s = perUser.get(m.user_id);
      byUser[m.user_id] = { name: m.name, ...line(m.spent, m.reserved, s?.official, s?.jobs) };
    }
    const byBackend: MonthSummary['byBackend'] = Object.create(null);
    for (const b of byBackendRows) byBackend[b.backend] = line(b.price, 0, b.official, b.jobs);
    const totalOfficial = byBackendRows.reduce((sum, b) => sum + n(b.official), 0);
    const totalJobs = byBackendRows.reduce((sum, b) => sum + n(b.jobs), 0);
    return { tenant, month, total: line(team?.spent, team?.reserved, totalOfficial, totalJobs), byUser, byBackend };
  }
}

function assertAmount(micros: number): void {
  if (!Number.isSafeInteger(micros) || micros < 0) throw new RangeError(`ledger amounts are non-negative integer micro-dollars, got ${micros}`);
}
