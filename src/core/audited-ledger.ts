/**
 * Every money movement, audited: wraps any Ledger (the key-value one, or a
 * store-side one) and appends one audit entry for each reserve, adjust, settle
 * and release that actually moved money. A repeated settle or release moves
 * nothing and appends nothing, so the month's entries add up to the ledger.
 *
 * The entry follows the ledger's write: a process killed between the two keeps
 * the money right and loses one audit line, the lesser harm (the ledger is the
 * truth the caps are enforced from). Acceptance on tables writes its reserve
 * entry in the transaction that holds the money (`reserveEntry`), so the entry
 * most often written, on the path before the acknowledgement, costs no write
 * of its own and is never lost.
 */
import { BOT, type AuditEntry, type AuditLog } from './audit-log.js';
import { formatUsd } from './money.js';
import type { ClosedReservation, Ledger, MonthSummary, OpenReservation, ReservationRequest, ReservationResult, Settlement } from './ports.js';

export class AuditedLedger implements Ledger {
  constructor(
    private readonly inner: Ledger,
    private readonly audit: AuditLog,
  ) {}

  async reserve(request: ReservationRequest): Promise<ReservationResult> {
    const result = await this.inner.reserve(request);
    if (result.ok) await this.reserved(request, result);
    return result;
  }

  private async reserved(request: ReservationRequest, result: Extract<ReservationResult, { ok: true }>): Promise<void> {
    const entry = reserveEntry(request, result.previousMicros);
    if (entry) await this.audit.append(request.tenant, entry, request.month);
  }

  /** A storyboard's shots, held in one write: one entry per shot. */
  async reserveAll(requests: ReservationRequest[]): Promise<ReservationResult> {
    // What each shot held before (a retried acceptance), read first: the result only gives the sum.
    const before = await Promise.all(requests.map((r) => this.inner.held(r.tenant, r.month, r.jobId)));
    const result = await this.inner.reserveAll(requests);
    if (result.ok) {
      for (const [i, request] of requests.entries()) await this.reserved(request, { ...result, previousMicros: before[i] ?? 0 });
    }
    return result;
  }

  async adjust(request: ReservationRequest): Promise<ReservationResult> {
    const result = await this.inner.adjust(request);
    if (result.ok && request.micros !== result.previousMicros) {
      await this.audit.append(
        request.tenant,
        {
          action: 'adjust',
          by: BOT,
          member: { id: request.userId, name: request.userName },
          jobId: request.jobId,
          reservedMicros: request.micros - result.previousMicros,
          detail: `re-priced ${formatUsd(result.previousMicros)} → ${formatUsd(request.micros)} for another backend`,
        },
        request.month,
      );
    }
    return result;
  }

  async settle(settlement: Settlement): Promise<ClosedReservation | undefined> {
    const closed = await this.inner.settle(settlement);
    if (closed) {
      await this.audit.append(
        settlement.tenant,
        {
          action: 'settle',
          by: BOT,
          member: { id: closed.userId, name: closed.userName },
          jobId: settlement.jobId,
          backend: settlement.backend,
          reservedMicros: -closed.micros,
          spentMicros: settlement.priceMicros,
          officialMicros: settlement.officialMicros,
          detail: `charged ${formatUsd(settlement.priceMicros)} (held ${formatUsd(closed.micros)})`,
        },
        settlement.month,
      );
    }
    return closed;
  }

  async release(tenant: string, month: string, jobId: string): Promise<ClosedReservation | undefined> {
    const closed = await this.inner.release(tenant, month, jobId);
    if (closed) {
      await this.audit.append(
        tenant,
        { action: 'release', by: BOT, member: { id: closed.userId, name: closed.userName }, jobId, reservedMicros: -closed.micros, detail: `released ${formatUsd(closed.micros)}` },
        month,
      );
    }
    return closed;
  }

  summary(tenant: string, month: string): Promise<MonthSummary> {
    return this.inner.summary(tenant, month);
  }

  held(tenant: string, month: string, jobId: string): Promise<number | undefined> {
    return this.inner.held(tenant, month, jobId);
  }

  openReservations(): Promise<OpenReservation[]> {
    return this.inner.openReservations();
  }
}

/**
 * The entry for a reservation that held `request.micros` where `previousMicros` was held before (a retried
 * acceptance holds the same again and moves nothing): none when nothing moved. A store that writes the job
 * and its money in one transaction (src/store/sql) writes this entry in it too.
 */
export function reserveEntry(request: ReservationRequest, previousMicros: number): Omit<AuditEntry, 'at'> | undefined {
  if (request.micros === previousMicros) return undefined;
  return {
    action: 'reserve',
    by: { id: request.userId, name: request.userName },
    jobId: request.jobId,
    reservedMicros: request.micros - previousMicros,
    detail: `held ${formatUsd(request.micros)}`,
  };
}
