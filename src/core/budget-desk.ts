/**
 * Money as use cases: what the team and each member spent against the caps
 * (with the official-price comparison), and the admin's changes to caps and
 * routing policy. The Studio facade delegates here.
 */
import type { AuditLog } from './audit-log.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { monthOf, previousMonth } from './ledger.js';
import { formatUsd, type Micros } from './money.js';
import { monthCsv, spendSeries, type MonthCsv, type SpendSeries } from './month-report.js';
import type { Backend, JobRepository, Ledger, Logger, MonthSummary } from './ports.js';
import { DEFAULT_AUDIO, type RoutingPolicy, type SettingsDefaults, type TenantSettingsRepository } from './tenant-settings.js';
import { takesPerRequest, type TakesLine } from './takes.js';
import { Sight } from './visibility.js';
import type { Actor, JobRecord, Sound, TenantId } from './types.js';

export interface CostReport {
  tenant: TenantId;
  month: string;
  summary: MonthSummary;
  tenantCapMicros: Micros;
  userCapMicros: Micros;
  /** Present when the report was asked for one member. */
  user: { id: string; name: string; capMicros: Micros } | undefined;
  referenceBackendName: string;
  backendNames: Record<string, string>;
  /** The month's requests made with `--takes` that the asker can see (of the one member, when asked for one). */
  takes: TakesLine[];
}

export interface BudgetView {
  month: string;
  policy: RoutingPolicy;
  /** The team's default sound for videos that do not say `--audio`. */
  audio: Sound;
  /** Jobs estimated above this wait for an admin's approval. */
  approveAboveMicros: Micros | undefined;
  tenantCapMicros: Micros;
  tenantSpentMicros: Micros;
  tenantReservedMicros: Micros;
  userCapMicros: Micros;
  userSpentMicros: Micros;
  userReservedMicros: Micros;
  userCaps: { userId: string; name: string; capMicros: Micros }[];
}

export interface BudgetDeskDeps {
  ledger: Ledger;
  settings: TenantSettingsRepository;
  backends: ReadonlyMap<string, Backend>;
  clock: Clock;
  logger: Logger;
  defaults: SettingsDefaults;
  /** Backend whose price list is "official" in /cost comparisons. */
  referencePriceBackend: string;
  audit: AuditLog;
  jobs: JobRepository;
}

type Period = 'this-month' | 'last-month';

export class BudgetDesk {
  constructor(private readonly deps: BudgetDeskDeps) {}


  private monthOf(period: Period): string {
    const current = monthOf(this.deps.clock.now());
    return period === 'last-month' ? previousMonth(current) : current;
  }

  /** The month's jobs as CSV (README: `/cost --export csv`); its sums equal the ledger's. */
  async exportCsv(actor: Actor, period: Period): Promise<MonthCsv & { month: string }> {
    const month = this.monthOf(period);
    const entries = await this.deps.audit.month(actor.tenant, month);
    const ids = [...new Set(entries.map((e) => e.jobId).filter((id): id is string => id !== undefined))];
    const jobs = new Map<string, JobRecord>();
    for (const id of ids) {
      const job = await this.deps.jobs.getForTenant(actor.tenant, id);
      if (job) jobs.set(id, job);
    }
    return { month, ...monthCsv(entries, jobs) };
  }

  /** Cumulative spend by day and backend, for the chart `/cost` attaches. */
  async spending(actor: Actor, period: Period): Promise<SpendSeries> {
    const month = this.monthOf(period);
    const caps = await this.deps.settings.capsFor(actor.tenant, actor.userId);
    return spendSeries(month, await this.deps.audit.month(actor.tenant, month), caps.tenantCapMicros, this.deps.clock.now());
  }

  async costReport(actor: Actor, request: { period: Period; userId?: string }): Promise<CostReport> {
    const month = this.monthOf(request.period);
    const summary = await this.deps.ledger.summary(actor.tenant, month);
    const caps = await this.deps.settings.capsFor(actor.tenant, request.userId ?? actor.userId);
    const settings = await this.deps.settings.get(actor.tenant);
    const backendNames = Object.fromEntries([...this.deps.backends.values()].map((b) => [b.id, b.capabilities.displayName]));
    const reference = this.deps.backends.get(this.deps.referencePriceBackend);
    let user: CostReport['user'];
    if (request.userId) {
      const line = summary.byUser[request.userId];
      user = { id: request.userId, name: line?.name ?? request.userId, capMicros: caps.userCapMicros };
    }
    return {
      tenant: actor.tenant,
      month,
      summary,
      tenantCapMicros: caps.tenantCapMicros,
      userCapMicros: settings.userCapMicros ?? this.deps.defaults.userCapMicros,
      user,
      referenceBackendName: reference?.capabilities.displayName ?? this.deps.referencePriceBackend,
      backendNames,
      takes: await this.takes(actor, month, request.userId),
    };
  }

  /** Takes per request, from the recent jobs this actor can see (a request in a channel they cannot see is not theirs to count). */
  private async takes(actor: Actor, month: string, userId: string | undefined): Promise<TakesLine[]> {
    const jobs = await new Sight(actor).filter(await this.deps.jobs.recent(actor.tenant));
    return takesPerRequest(userId === undefined ? jobs : jobs.filter((j) => j.requesterId === userId), month);
  }

  async budget(actor: Actor): Promise<BudgetView> {
    const month = monthOf(this.deps.clock.now());
    const summary = await this.deps.ledger.summary(actor.tenant, month);
    const settings = await this.deps.settings.get(actor.tenant);
    const caps = await this.deps.settings.capsFor(actor.tenant, actor.userId);
    const me = summary.byUser[actor.userId];
    return {
      month,
      policy: settings.policy ?? this.deps.defaults.policy,
      audio: settings.audio ?? DEFAULT_AUDIO,
      approveAboveMicros: settings.approveAboveMicros,
      tenantCapMicros: caps.tenantCapMicros,
      tenantSpentMicros: summary.total.spentMicros,
      tenantReservedMicros: summary.total.reservedMicros,
      userCapMicros: caps.userCapMicros,
      userSpentMicros: me?.spentMicros ?? 0,
      userReservedMicros: me?.reservedMicros ?? 0,
      userCaps: Object.entries(settings.userCaps).map(([userId, capMicros]) => ({ userId, name: summary.byUser[userId]?.name ?? userId, capMicros })),
    };
  }

  /**
   * The team cap, one member's cap, the routing policy or the approval threshold. Only admins get here: `/budget set`
   * is admin-only in its spec, which the command dispatcher (commands/index.ts) enforces for every platform.
   */
  async setBudget(actor: Actor, change: { amountMicros?: Micros; userId?: string; policy?: RoutingPolicy; audio?: Sound; approveAboveMicros?: Micros }): Promise<BudgetView> {
    if (change.amountMicros === undefined && change.policy === undefined && change.audio === undefined && change.approveAboveMicros === undefined) {
      throw new UserFacingError(msg('budget.nothing_to_set'), { code: 'nothing_to_set' });
    }
    if (change.userId !== undefined && change.amountMicros === undefined) {
      throw new UserFacingError(msg('budget.member_amount'), { code: 'nothing_to_set' });
    }
    await this.deps.settings.update(actor.tenant, (s) => {
      if (change.amountMicros !== undefined) {
        if (change.userId) s.userCaps[change.userId] = change.amountMicros;
        else s.tenantCapMicros = change.amountMicros;
      }
      if (change.policy) s.policy = change.policy;
      if (change.audio) s.audio = change.audio;
      if (change.approveAboveMicros !== undefined) s.approveAboveMicros = change.approveAboveMicros;
    });
    this.deps.logger.info({ tenant: actor.tenant, by: actor.userId, change }, 'budget changed');
    const what = [
      ...(change.amountMicros !== undefined ? [`${change.userId ? `cap of ${change.userId}` : 'team cap'} ${formatUsd(change.amountMicros)}`] : []),
      ...(change.policy ? [`policy ${change.policy}`] : []),
      ...(change.approveAboveMicros !== undefined ? [`approval above ${formatUsd(change.approveAboveMicros)}`] : []),
    ];
    await this.deps.audit.append(actor.tenant, {
      action: 'budget',
      by: { id: actor.userId, name: actor.displayName },
      ...(change.userId && { member: { id: change.userId, name: change.userId } }),
      detail: what.join('; '),
    });
    return this.budget(actor);
  }
}
