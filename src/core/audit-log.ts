/**
 * The audit trail: every action that moves money or changes the team's rules,
 * appended and never rewritten. `AuditLog` is the port; on SQLite and Postgres
 * it is a table (src/store/sql/sql-audit-log.ts), where replicas append with
 * plain INSERTs. `PagedAuditLog` here keeps it in key-value documents (Redis,
 * one process): entries live per tenant and month in pages of
 * PAGE_SIZE; a page only ever grows (the key-value store has no append, so the
 * last page is written whole, but no entry in it ever changes or goes away),
 * and a full page is never written again. Money entries carry signed deltas of
 * what is reserved and what is spent, so the sum of a month's entries is the
 * ledger's month (test/core/audit.test.ts).
 */
import type { Clock } from './clock.js';
import { KeyedMutex } from './keyed-mutex.js';
import { monthOf, previousMonth } from './ledger.js';
import type { Micros } from './money.js';
import type { KeyValueStore } from './ports.js';
import type { TenantId } from './types.js';

export type AuditAction =
  | 'reserve'
  | 'adjust'
  | 'settle'
  | 'release'
  | 'approve'
  | 'deny'
  | 'approval-expired'
  | 'budget'
  | 'settings'
  | 'access'
  | 'character-delete'
  | 'cancel';

export const MONEY_ACTIONS: ReadonlySet<AuditAction> = new Set(['reserve', 'adjust', 'settle', 'release']);

/** Who did it: a member, or the bot itself (settling a delivered video, releasing a failed one). */
export interface AuditWho {
  id: string;
  name: string;
}

export const BOT: AuditWho = { id: 'bot', name: 'the bot' };

export interface AuditEntry {
  at: number;
  action: AuditAction;
  by: AuditWho;
  /** Whose money or job it concerns, when that is someone else than `by`. */
  member?: AuditWho;
  jobId?: string;
  backend?: string;
  /** Change of the money held in reservations, signed micro-dollars. */
  reservedMicros?: Micros;
  /** Change of the money spent, micro-dollars. */
  spentMicros?: Micros;
  /** On a settle: what the same video costs at the official price list. */
  officialMicros?: Micros;
  /** What changed, in a few words (`team cap $20.00`, `denied: too long`). */
  detail: string;
}

const PAGE_SIZE = 100;

interface Head {
  /** Pages written so far; the last one may have room left. */
  pages: number;
}

export interface AuditLog {
  append(tenant: TenantId, entry: Omit<AuditEntry, 'at'> & { at?: number }, month?: string): Promise<void>;
  /** Every entry of one month, oldest first. */
  month(tenant: TenantId, month: string): Promise<AuditEntry[]>;
  /**
   * The latest entries, newest first, looking back at most `months` months (12 unless told),
   * optionally only those done by or concerning one member.
   */
  latest(tenant: TenantId, options: LatestOptions): Promise<AuditEntry[]>;
}

export interface LatestOptions {
  limit: number;
  userId?: string;
  months?: number;
}

/** The months `latest` looks at, this one first. */
export function monthsBack(now: number, months = 12): string[] {
  const out: string[] = [];
  for (let month = monthOf(now); out.length < months; month = previousMonth(month)) out.push(month);
  return out;
}

/** Whether an entry was done by or concerns the member. */
export function concerns(entry: AuditEntry, userId: string): boolean {
  return entry.by.id === userId || entry.member?.id === userId;
}

export class PagedAuditLog implements AuditLog {
  private readonly mutex = new KeyedMutex();
  /** The head and last page of each month this process appended to: appends need no store read. */
  private readonly tails = new Map<string, { pages: number; last: AuditEntry[] }>();

  constructor(
    private readonly store: KeyValueStore,
    private readonly clock: Clock,
  ) {}

  private headKey(tenant: TenantId, month: string): string {
    return `audit:${tenant}:${month}`;
  }

  private pageKey(tenant: TenantId, month: string, page: number): string {
    return `audit:${tenant}:${month}:${page}`;
  }

  append(tenant: TenantId, entry: Omit<AuditEntry, 'at'> & { at?: number }, month?: string): Promise<void> {
    const at = entry.at ?? this.clock.now();
    // Not `{ ...entry, at }`: entries of many shapes made that spread megamorphic, and V8 then gave
    // every entry a hidden class of its own (10,000 maps and descriptor arrays, ~3 MB, for the
    // pages `tails` keeps at 10,000 jobs in flight; bench/capacity.ts).
    const full: AuditEntry = Object.assign({}, entry, { at });
    const m = month ?? monthOf(at);
    const head = this.headKey(tenant, m);
    return this.mutex.run(head, async () => {
      let tail = this.tails.get(head);
      if (!tail) {
        const { pages } = (await this.store.get<Head>(head)) ?? { pages: 0 };
        tail = { pages, last: pages > 0 ? ((await this.store.get<AuditEntry[]>(this.pageKey(tenant, m, pages - 1))) ?? []) : [] };
      }
      if (tail.pages > 0 && tail.last.length < PAGE_SIZE) {
        const last = [...tail.last, full];
        await this.store.set(this.pageKey(tenant, m, tail.pages - 1), last);
        this.tails.set(head, { pages: tail.pages, last });
        return;
      }
      // The new page is written before the head counts it: a crash between the two leaves a page
      // the head does not name, which the month's next append writes again from empty.
      await this.store.set(this.pageKey(tenant, m, tail.pages), [full]);
      await this.store.set(head, { pages: tail.pages + 1 });
      this.tails.set(head, { pages: tail.pages + 1, last: [full] });
    });
  }

  async month(tenant: TenantId, month: string): Promise<AuditEntry[]> {
    const head = this.headKey(tenant, month);
    // Under the month's lock, so a page being appended to is read whole or not at all.
    return this.mutex.run(head, async () => {
      const { pages } = (await this.store.get<Head>(head)) ?? { pages: 0 };
      const out: AuditEntry[] = [];
      for (let page = 0; page < pages; page++) out.push(...((await this.store.get<AuditEntry[]>(this.pageKey(tenant, month, page))) ?? []));
      return out;
    });
  }

  async latest(tenant: TenantId, options: LatestOptions): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for (const month of monthsBack(this.clock.now(), options.months)) {
      if (out.length >= options.limit) break;
      const entries = (await this.month(tenant, month)).reverse();
      for (const e of entries) {
        if (options.userId && !concerns(e, options.userId)) continue;
        out.push(e);
        if (out.length >= options.limit) break;
      }
    }
    return out;
  }
}

/** What a month's money entries add up to: comparable with the ledger's summary. */
export function auditTotals(entries: readonly AuditEntry[]): { reservedMicros: Micros; spentMicros: Micros } {
  let reservedMicros = 0;
  let spentMicros = 0;
  for (const e of entries) {
    reservedMicros += e.reservedMicros ?? 0;
    spentMicros += e.spentMicros ?? 0;
  }
  return { reservedMicros, spentMicros };
}
