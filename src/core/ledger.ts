/**
 * The budget ledger on the key-value store: one document per tenant and month
 * holding the open reservations and the settled totals, updated under a
 * per-document lock. A single document per month makes each reserve, settle
 * and release one atomic write: a crash never leaves a reservation counted in
 * one place and missing in another.
 */
import { DocumentCache } from './document-cache.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { Micros } from './money.js';
import type {
  ClosedReservation,
  KeyValueStore,
  Ledger,
  MonthSummary,
  OpenReservation,
  ReservationRequest,
  ReservationResult,
  Settlement,
  SpendLine,
} from './ports.js';

export interface StoredLine {
  spent: Micros;
  official: Micros;
  jobs: number;
}

/** The month document as keyv keeps it (also read by the tables' one-time import, src/store/sql/keyv-import.ts). */
export interface LedgerMonth {
  tenant: string;
  month: string;
  /** Open reservations by job id. */
  open: Record<string, { userId: string; micros: Micros }>;
  reservedTotal: Micros;
  reservedByUser: Record<string, Micros>;
  total: StoredLine;
  byUser: Record<string, StoredLine & { name: string }>;
  byBackend: Record<string, StoredLine>;
}

/** `2026-11`: ledger months are calendar months in UTC. */
/** The last month asked for and its bounds: several checks of every request ask, nearly always for this month. */
let known = { month: '', from: 0, until: 0 };

export function monthOf(epochMs: number): string {
  if (epochMs >= known.from && epochMs < known.until) return known.month;
  const date = new Date(epochMs);
  const from = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  known = { month: date.toISOString().slice(0, 7), from, until: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
  return known.month;
}

export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** Names the `tenant\nmonth` ledger documents that may hold open reservations. */
const OPEN_MONTHS = 'ledger:open-months';

const emptyLine = (): StoredLine => ({ spent: 0, official: 0, jobs: 0 });

export class KeyValueLedger implements Ledger {
  private readonly mutex = new KeyedMutex();
  private readonly documents: DocumentCache;
  /** Month documents already named in OPEN_MONTHS (loaded once per process). */
  private registered: Set<string> | undefined;

  constructor(store: KeyValueStore) {
    this.documents = new DocumentCache(store);
  }

  private key(tenant: string, month: string): string {
    return `ledger:${tenant}:${month}`;
  }

  private async load(tenant: string, month: string): Promise<LedgerMonth> {
    const doc =
      (await this.documents.read<LedgerMonth>(this.key(tenant, month))) ?? {
        tenant,
        month,
        open: {},
        reservedTotal: 0,
        reservedByUser: {},
        total: emptyLine(),
        byUser: {},
        byBackend: {},
      };
    // Member ids are keys: `constructor` or `__proto__` must name a member, not Object.prototype.
    for (const field of ['open', 'reservedByUser', 'byUser', 'byBackend'] as const) doc[field] = Object.assign(Object.create(null), doc[field]);
    return doc;
  }

  private update<T>(tenant: string, month: string, change: (doc: LedgerMonth) => { result: T; write: boolean }): Promise<T> {
    const key = this.key(tenant, month);
    return this.mutex.run(key, async () => {
      const doc = await this.load(tenant, month);
      const { result, write } = change(doc);
      // The month is named before it first holds money, so a start-up reconciliation can
      // find every open reservation without listing the store's keys (keyv cannot).
      if (write && Object.keys(doc.open).length > 0) await this.register(tenant, month);
      if (write) await this.documents.write(key, doc);
      return result;
    });
  }

  private async register(tenant: string, month: string): Promise<void> {
    const entry = `${tenant}\n${month}`;
    if (this.registered?.has(entry)) return;
    await this.mutex.run(OPEN_MONTHS, async () => {
      const names = (await this.documents.read<string[]>(OPEN_MONTHS)) ?? [];
      this.registered = new Set(names);
      if (this.registered.has(entry)) return;
      await this.documents.write(OPEN_MONTHS, [...names, entry]);
      this.registered.add(entry);
    });
  }

  /** The reservation a job holds, if any. */
  async held(tenant: string, month: string, jobId: string): Promise<Micros | undefined> {
    return (await this.load(tenant, month)).open[jobId]?.micros;
  }

  /**
   * Every open reservation of every month that may hold one, for the start-up
   * reconciliation. Months left with none are forgotten here, so the scan stays
   * as small as the money in flight.
   */
  async openReservations(): Promise<OpenReservation[]> {
    return this.mutex.run(OPEN_MONTHS, async () => {
      const names = (await this.documents.read<string[]>(OPEN_MONTHS)) ?? [];
      const out: OpenReservation[] = [];
      const keep: string[] = [];
      for (const entry of names) {
        const [tenant, month] = entry.split('\n') as [string, string];
        // No month lock here: `update` takes the month's lock and then this one.
        const doc = await this.load(tenant, month);
        const open = Object.entries(doc.open);
        if (open.length > 0) keep.push(entry);
        for (const [jobId, held] of open) out.push({ tenant, month, jobId, userId: held.userId, micros: held.micros });
      }
      if (keep.length !== names.length) await this.documents.write(OPEN_MONTHS, keep);
      this.registered = new Set(keep);
      return out;
    });
  }

  private check(doc: LedgerMonth, request: ReservationRequest, alreadyHeld: Micros): ReservationResult {
    const { caps, userId, micros } = request;
    const tenantUsed = doc.total.spent + doc.reservedTotal - alreadyHeld;
    const userUsed = (doc.byUser[userId]?.spent ?? 0) + (doc.reservedByUser[userId] ?? 0) - alreadyHeld;
    const tenantLeft = caps.tenantCapMicros - tenantUsed;
    const userLeft = caps.userCapMicros - userUsed;
    if (micros > tenantLeft) return { ok: false, scope: 'tenant', leftMicros: Math.max(0, tenantLeft), capMicros: caps.tenantCapMicros };
    if (micros > userLeft) return { ok: false, scope: 'user', leftMicros: Math.max(0, userLeft), capMicros: caps.userCapMicros };
    return { ok: true, tenantLeftMicros: tenantLeft - micros, userLeftMicros: userLeft - micros, previousMicros: alreadyHeld };
  }

  private hold(doc: LedgerMonth, request: ReservationRequest, previous: Micros): void {
    const { userId, micros, jobId, userName } = request;
    doc.open[jobId] = { userId, micros };
    doc.reservedTotal += micros - previous;
    doc.reservedByUser[userId] = (doc.reservedByUser[userId] ?? 0) + micros - previous;
    doc.byUser[userId] ??= { name: userName, ...emptyLine() };
    doc.byUser[userId].name = userName;
  }

  reserve(request: ReservationRequest): Promise<ReservationResult> {
    assertAmount(request.micros);
    return this.update(request.tenant, request.month, (doc) => {
      if (doc.open[request.jobId]) {
        // A retried request for the same job must not hold twice.
        const result = this.check(doc, request, doc.open[request.jobId]!.micros);
        if (result.ok) this.hold(doc, request, doc.open[request.jobId]!.micros);
        return { result, write: result.ok };
      }
      const result = this.check(doc, request, 0);
      if (result.ok) this.hold(doc, request, 0);
      return { result, write: result.ok };
    });
  }

  reserveAll(requests: ReservationRequest[]): Promise<ReservationResult> {
    const first = requests[0];
    if (!first) throw new RangeError('reserveAll needs at least one reservation');
    for (const r of requests) {
      assertAmount(r.micros);
      if (r.tenant !== first.tenant || r.month !== first.month || r.userId !== first.userId) throw new RangeError('reserveAll takes one tenant, member and month');
    }
    return this.update(first.tenant, first.month, (doc) => {
      // What these jobs already hold (a retried acceptance) is counted once, as `reserve` does.
      const held = requests.reduce((sum, r) => sum + (doc.open[r.jobId]?.micros ?? 0), 0);
      const total = requests.reduce((sum, r) => sum + r.micros, 0);
      const result = this.check(doc, { ...first, micros: total }, held);
      if (result.ok) for (const r of requests) this.hold(doc, r, doc.open[r.jobId]?.micros ?? 0);
      return { result, write: result.ok };
    });
  }

  adjust(request: ReservationRequest): Promise<ReservationResult> {
    assertAmount(request.micros);
    return this.update(request.tenant, request.month, (doc) => {
      const held = doc.open[request.jobId]?.micros ?? 0;
      const result = this.check(doc, request, held);
      if (result.ok) this.hold(doc, request, held);
      return { result, write: result.ok };
    });
  }

  settle(settlement: Settlement): Promise<ClosedReservation | undefined> {
    assertAmount(settlement.priceMicros);
    return this.update(settlement.tenant, settlement.month, (doc) => {
      const open = doc.open[settlement.jobId];
      if (!open) return { result: undefined, write: false };
      this.unhold(doc, settlement.jobId);
      const add = (line: StoredLine) => {
        line.spent += settlement.priceMicros;
        line.official += settlement.officialMicros;
        line.jobs += 1;
      };
      add(doc.total);
      add((doc.byUser[open.userId] ??= { name: open.userId, ...emptyLine() }));
      add((doc.byBackend[settlement.backend] ??= emptyLine()));
      return { result: { userId: open.userId, userName: doc.byUser[open.userId]?.name ?? open.userId, micros: open.micros }, write: true };
    });
  }

  release(tenant: string, month: string, jobId: string): Promise<ClosedReservation | undefined> {
    return this.update(tenant, month, (doc) => {
      const open = doc.open[jobId];
      if (!open) return { result: undefined, write: false };
      this.unhold(doc, jobId);
      return { result: { userId: open.userId, userName: doc.byUser[open.userId]?.name ?? open.userId, micros: open.micros }, write: true };
    });
  }

  private unhold(doc: LedgerMonth, jobId: string): void {
    const open = doc.open[jobId]!;
    delete doc.open[jobId];
    doc.reservedTotal -= open.micros;
    doc.reservedByUser[open.userId] = (doc.reservedByUser[open.userId] ?? 0) - open.micros;
    if (doc.reservedByUser[open.userId] === 0) delete doc.reservedByUser[open.userId];
  }

  async summary(tenant: string, month: string): Promise<MonthSummary> {
    const doc = await this.load(tenant, month);
    const line = (stored: StoredLine | undefined, reserved: Micros): SpendLine => ({
      spentMicros: stored?.spent ?? 0,
      reservedMicros: reserved,
      officialMicros: stored?.official ?? 0,
      jobs: stored?.jobs ?? 0,
    });
    const byUser: MonthSummary['byUser'] = Object.create(null);
    for (const [userId, stored] of Object.entries(doc.byUser)) {
      byUser[userId] = { name: stored.name, ...line(stored, doc.reservedByUser[userId] ?? 0) };
    }
    const byBackend: MonthSummary['byBackend'] = Object.create(null);
    for (const [backend, stored] of Object.entries(doc.byBackend)) byBackend[backend] = line(stored, 0);
    return { tenant, month, total: line(doc.total, doc.reservedTotal), byUser, byBackend };
  }
}

function assertAmount(micros: number): void {
  if (!Number.isSafeInteger(micros) || micros < 0) throw new RangeError(`ledger amounts are non-negative integer micro-dollars, got ${micros}`);
}
