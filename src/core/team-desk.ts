/**
 * The team's controls as use cases: the rules applied to a new video
 * (team-rules.ts), approving and denying jobs that wait (job-approval.ts), the
 * admins' settings (`/settings channel|access|alerts|show`) and the audit trail
 * (`/audit`). Every change of a rule is appended to the audit log. Who may run
 * the admin commands is their spec's `permission`, checked once by the command
 * dispatcher (commands/index.ts); who may decide on a job is checked here,
 * because it depends on the job (team-rules.ts).
 */
import type { AuditEntry, AuditLog } from './audit-log.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import type { Approvals, JobApprovals } from './job-approval.js';
import { formatUsd, type Micros } from './money.js';
import type { Backend, BudgetCaps, JobRepository, Logger, Surface } from './ports.js';
import {
  applyChannelDefaults,
  approvalThreshold,
  describeWarning,
  dueWarnings,
  requireMayDecide,
  requireMaySpend,
  type AppliedDefault,
  type CapWarning,
} from './team-rules.js';
import type { AccessRules, ChannelDefaults, NamedGroup, RoutingPolicy, TenantSettings, TenantSettingsRepository } from './tenant-settings.js';
import type { Actor, BoardRecord, GenerationInput, JobRecord, TenantId } from './types.js';

export interface TeamDeskDeps {
  settings: TenantSettingsRepository;
  audit: AuditLog;
  approvals: JobApprovals;
  /** Storyboards whose sum waits for an admin (board-approval.ts), and the board the actor can see. */
  boards: { approvals: Approvals<BoardRecord>; board: (actor: Actor, boardId: string) => Promise<BoardRecord> };
  backends: ReadonlyMap<string, Backend>;
  clock: Clock;
  logger: Logger;
  approvalTimeoutMs: number;
  jobs: JobRepository;
  /** A job the actor can see (visibility.ts); one they cannot see reads as missing. */
  visibleJob: (actor: Actor, jobId: string) => Promise<JobRecord>;
  /** The chat surfaces by platform: a warning also goes to the team's alerts channel through one. */
  surfaces: ReadonlyMap<string, Surface>;
}

export interface SettingsView {
  settings: TenantSettings;
  /** The channel the actor asked from, with its defaults, when it has any. */
  channel: { id: string; defaults: ChannelDefaults } | undefined;
}

export interface AccessChange {
  allow?: NamedGroup[];
  block?: NamedGroup[];
  unblock?: NamedGroup[];
  approvers?: NamedGroup[];
  /** Everyone may generate again: the allowed groups are emptied. */
  allowEveryone?: boolean;
}

const who = (actor: Actor) => ({ id: actor.userId, name: actor.displayName });

export class TeamDesk {
  constructor(private readonly deps: TeamDeskDeps) {}

  // -- a new video ---------------------------------------------------------

  /** Refuses a member who may not spend; fills what they left open from the channel's defaults. */
  rulesFor(
    actor: Actor,
    input: GenerationInput,
    /** The team's settings as the caller read them (job-intake.ts: afresh to accept, recently to quote). */
    settings: TenantSettings,
  ): { input: GenerationInput; applied: AppliedDefault[]; policy: RoutingPolicy | undefined; threshold: Micros | undefined; settings: TenantSettings } {
    requireMaySpend(settings, actor);
    const channel = actor.place?.kind === 'channel' ? settings.channels?.[actor.place.id] : undefined;
    // These settings are the request's one read of them (job-intake.ts derives caps and routing from them too).
    return { ...applyChannelDefaults(input, channel), threshold: approvalThreshold(settings, actor), settings };
  }

  /** A draft above the threshold starts in `awaiting_approval` (reserved all the same); `takes` copies of it are weighed together. */
  markForApproval(job: JobRecord, threshold: Micros | undefined, takes = 1): void {
    if (threshold === undefined || job.estimateMicros * takes <= threshold) return;
    job.state = 'awaiting_approval';
    job.approval = { thresholdMicros: threshold, expiresAt: job.createdAt + this.deps.approvalTimeoutMs };
  }

  /** The 80% warnings this reservation crossed, each given once a month. */
  async warningsAfter(actor: Actor, job: JobRecord, left: { tenantLeftMicros: Micros; userLeftMicros: Micros }, caps: BudgetCaps): Promise<CapWarning[]> {
    const used = {
      team: caps.tenantCapMicros - left.tenantLeftMicros,
      teamCap: caps.tenantCapMicros,
      member: caps.userCapMicros - left.userLeftMicros,
      memberCap: caps.userCapMicros,
    };
    const current = await this.deps.settings.get(actor.tenant);
    if (dueWarnings(current, job.ledgerMonth, actor.userId, used).keys.length === 0) return [];
    let due: CapWarning[] = [];
    // Decided under the settings lock: two replies crossing at once warn once.
    await this.deps.settings.update(actor.tenant, (s) => {
      const { warnings, keys } = dueWarnings(s, job.ledgerMonth, actor.userId, used);
      due = warnings;
      s.alertsGiven = { [job.ledgerMonth]: [...(s.alertsGiven?.[job.ledgerMonth] ?? []), ...keys] };
    });
    this.postAlerts(actor, job, due);
    return due;
  }

  /**
   * Each warning also goes to the alerts channel, naming whose cap it is. Not awaited: the acceptance
   * answers the platform first, and a channel the bot cannot post in must not refuse the video.
   */
  private postAlerts(actor: Actor, job: JobRecord, due: CapWarning[]): void {
    const surface = this.deps.surfaces.get(job.surface.platform);
    for (const w of due) {
      if (!w.alertsChannel || !surface?.postAlert) continue;
      const text = `${describeWarning(w, actor.displayName)} (job ${job.id})`;
      surface.postAlert(job.tenant, w.alertsChannel, text).catch((error: unknown) => {
        this.deps.logger.warn({ err: error, tenant: job.tenant, channel: w.alertsChannel }, 'could not post a budget warning in the alerts channel');
      });
    }
  }

  // -- approvals -------------------------------------------------------------

  async approve(actor: Actor, jobId: string): Promise<JobRecord> {
    const job = await this.deps.visibleJob(actor, jobId);
    requireMayDecide(await this.deps.settings.get(actor.tenant), actor, job);
    const decided = await this.deps.approvals.approve(job.id, who(actor));
    await this.decideOtherTakes(job, (id) => this.deps.approvals.approve(id, who(actor)));
    return decided;
  }

  async deny(actor: Actor, jobId: string, reason: string | undefined): Promise<JobRecord> {
    const job = await this.deps.visibleJob(actor, jobId);
    requireMayDecide(await this.deps.settings.get(actor.tenant), actor, job);
    const decided = await this.deps.approvals.deny(job.id, who(actor), reason?.trim() || undefined);
    await this.decideOtherTakes(job, (id) => this.deps.approvals.deny(id, who(actor), reason?.trim() || undefined));
    return decided;
  }

  /** A storyboard or extension waiting on its sum: the same rules as a job's (never one's own unless the only admin). */
  async approveBoard(actor: Actor, boardId: string): Promise<{ board: BoardRecord; totalMicros: Micros }> {
    const { approvals } = this.deps.boards;
    const board = await this.deps.boards.board(actor, boardId);
    requireMayDecide(await this.deps.settings.get(actor.tenant), actor, board);
    const decided = await approvals.approve(board.id, who(actor));
    return { board: decided, totalMicros: await approvals.amountOf(decided) };
  }

  async denyBoard(actor: Actor, boardId: string, reason: string | undefined): Promise<{ board: BoardRecord; totalMicros: Micros }> {
    const { approvals } = this.deps.boards;
    const board = await this.deps.boards.board(actor, boardId);
    requireMayDecide(await this.deps.settings.get(actor.tenant), actor, board);
    const decided = await approvals.deny(board.id, who(actor), reason?.trim() || undefined);
    return { board: decided, totalMicros: await approvals.amountOf(decided) };
  }

  /** The takes of one request were weighed together (markForApproval), so one decision covers those still waiting. */
  private async decideOtherTakes(job: JobRecord, decide: (jobId: string) => Promise<unknown>): Promise<void> {
    for (const id of job.take?.ids ?? []) {
      if (id === job.id || (await this.deps.jobs.get(id))?.state !== 'awaiting_approval') continue;
      await decide(id).catch((error: unknown) => this.deps.logger.warn({ err: error, job: id }, 'could not decide another take of an approved or denied request'));
    }
  }

  /** The groups the team's access rules name, so an adapter looks up only those memberships (Slack user groups). */
  async groupsInUse(tenant: TenantId): Promise<string[]> {
    const access = (await this.deps.settings.get(tenant)).access;
    return [...new Set([...(access?.allowedGroups ?? []), ...(access?.approverGroups ?? [])].map((g) => g.id))];
  }

  /** Whether this member may decide on this job or board (adapters show Approve and Deny only to them). */
  async mayDecide(actor: Actor, job: JobRecord | BoardRecord): Promise<boolean> {
    try {
      requireMayDecide(await this.deps.settings.get(actor.tenant), actor, job);
      return true;
    } catch {
      return false;
    }
  }

  // -- settings --------------------------------------------------------------

  async show(actor: Actor): Promise<SettingsView> {
    const settings = await this.deps.settings.get(actor.tenant);
    const id = actor.place?.kind === 'channel' ? actor.place.id : undefined;
    const defaults = id ? settings.channels?.[id] : undefined;
    return { settings, channel: id && defaults ? { id, defaults } : undefined };
  }

  async setChannel(actor: Actor, channelId: string | undefined, defaults: ChannelDefaults): Promise<SettingsView> {
    const id = channelId ?? (actor.place?.kind === 'channel' ? actor.place.id : undefined);
    if (!id) throw new UserFacingError(msg('settings.no_channel'), { code: 'no_channel' });
    if (Object.values(defaults).every((v) => v === undefined)) {
      throw new UserFacingError(msg('settings.nothing_to_set'), { code: 'nothing_to_set' });
    }
    if (defaults.backend && !this.knowsBackend(defaults.backend)) {
      throw new UserFacingError(msg('settings.unknown_backend', { backend: defaults.backend }), { code: 'unknown_backend' });
    }
    await this.deps.settings.update(actor.tenant, (s) => {
      s.channels ??= {};
      s.channels[id] = { ...s.channels[id], ...Object.fromEntries(Object.entries(defaults).filter(([, v]) => v !== undefined)) };
    });
    await this.record(actor, 'settings', `channel ${id} defaults: ${describeDefaults(defaults)}`);
    return this.show({ ...actor, place: { kind: 'channel', id } });
  }

  async setAccess(actor: Actor, change: AccessChange): Promise<SettingsView> {
    await this.deps.settings.update(actor.tenant, (s) => {
      const a: AccessRules = s.access ?? { allowedGroups: [], blocked: [], approverGroups: [] };
      const add = (list: NamedGroup[], more: NamedGroup[] = []) => [...list.filter((g) => !more.some((m) => m.id === g.id)), ...more];
      if (change.allowEveryone) a.allowedGroups = [];
      a.allowedGroups = add(a.allowedGroups, change.allow);
      a.blocked = add(a.blocked, change.block).filter((m) => !change.unblock?.some((u) => u.id === m.id));
      a.approverGroups = add(a.approverGroups, change.approvers);
      a.changedBy = actor.displayName;
      s.access = a;
    });
    const names = (label: string, g?: NamedGroup[]) => (g?.length ? [`${label} ${g.map((x) => x.name).join(', ')}`] : []);
    const what = [...names('allow', change.allow), ...names('block', change.block), ...names('unblock', change.unblock), ...names('approvers', change.approvers), ...(change.allowEveryone ? ['allow everyone'] : [])];
    await this.record(actor, 'access', what.join('; ') || 'no change');
    return this.show(actor);
  }

  async setAlerts(actor: Actor, channelId: string): Promise<SettingsView> {
    await this.deps.settings.update(actor.tenant, (s) => {
      s.alertsChannel = channelId;
    });
    await this.record(actor, 'settings', `warnings also go to channel ${channelId}`);
    return this.show(actor);
  }

  // -- audit -------------------------------------------------------------------

  async auditTrail(actor: Actor, request: { limit?: number; userId?: string }): Promise<AuditEntry[]> {
    return this.deps.audit.latest(actor.tenant, { limit: Math.min(Math.max(request.limit ?? 20, 1), 100), ...(request.userId && { userId: request.userId }) });
  }

  /** Appends a rule change by `actor` (budget changes come from the budget desk). */
  record(actor: Actor, action: AuditEntry['action'], detail: string, extra: Partial<AuditEntry> = {}): Promise<void> {
    return this.deps.audit.append(actor.tenant, { action, by: who(actor), detail, ...extra });
  }

  private knowsBackend(name: string): boolean {
    return [...this.deps.backends.values()].some((b) => b.id === name || (b.capabilities.provider ?? b.id) === name);
  }
}

export function describeDefaults(d: ChannelDefaults): string {
  const parts: string[] = [];
  if (d.orientation) parts.push(`--orientation ${d.orientation}`);
  if (d.seconds !== undefined) parts.push(`--seconds ${d.seconds}`);
  if (d.resolution) parts.push(`--resolution ${d.resolution}`);
  if (d.backend) parts.push(`--backend ${d.backend}`);
  if (d.policy) parts.push(`--policy ${d.policy}`);
  if (d.approveAboveMicros !== undefined) parts.push(`--approve-above ${formatUsd(d.approveAboveMicros)}`);
  return parts.join(' ') || 'none';
}
