/**
 * The audit trail in a table: one row per entry, appended with a plain INSERT.
 * Replicas on one Postgres append to the same team's month at once without a
 * lock and without losing each other's entries, which the key-value pages
 * (core/audit-log.ts `PagedAuditLog`, which rewrite a month's last page whole
 * from a per-process copy) could not do. `seq` orders entries as appended.
 */
import type { Kysely, Transaction } from 'kysely';
import { concerns, monthsBack, type AuditEntry, type AuditLog, type LatestOptions } from '../../core/audit-log.js';
import type { Clock } from '../../core/clock.js';
import { monthOf } from '../../core/ledger.js';
import type { TenantId } from '../../core/types.js';
import type { Tables } from './schema.js';

export class SqlAuditLog implements AuditLog {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  append(tenant: TenantId, entry: Omit<AuditEntry, 'at'> & { at?: number }, month?: string): Promise<void> {
    return this.appendIn(this.db, tenant, entry, month);
  }

  /** The same inside a transaction of the caller's: the acceptance that holds the money (sql-job-store.ts). */
  async appendIn(db: Kysely<Tables> | Transaction<Tables>, tenant: TenantId, entry: Omit<AuditEntry, 'at'> & { at?: number }, month?: string): Promise<void> {
    const full: AuditEntry = Object.assign({}, entry, { at: entry.at ?? this.clock.now() });
    await db
      .insertInto('audit_entries')
      .values({ tenant, month: month ?? monthOf(full.at), by_id: full.by.id, member_id: full.member?.id ?? null, entry: JSON.stringify(full) })
      .execute();
  }

  async month(tenant: TenantId, month: string): Promise<AuditEntry[]> {
    const rows = await this.db.selectFrom('audit_entries').select('entry').where('tenant', '=', tenant).where('month', '=', month).orderBy('seq').execute();
    return rows.map((r) => JSON.parse(r.entry) as AuditEntry);
  }

  async latest(tenant: TenantId, options: LatestOptions): Promise<AuditEntry[]> {
    const months = monthsBack(this.clock.now(), options.months);
    if (months.length === 0 || options.limit <= 0) return [];
    const { userId } = options;
    // Newest month first, then newest entry: the months are `YYYY-MM`, so they sort as text.
    const rows = await this.db
      .selectFrom('audit_entries')
      .select('entry')
      .where('tenant', '=', tenant)
      .where('month', 'in', months)
      .$if(userId !== undefined, (q) => q.where((w) => w.or([w('by_id', '=', userId!), w('member_id', '=', userId!)])))
      .orderBy('month', 'desc')
      .orderBy('seq', 'desc')
      .limit(options.limit)
      .execute();
    // The JSON is the truth the filter above approximates from its columns.
    return rows.map((r) => JSON.parse(r.entry) as AuditEntry).filter((e) => userId === undefined || concerns(e, userId));
  }
}
