/**
 * The team's rules for a new video, as pure functions over its settings: who
 * may spend, what a channel's videos default to, which jobs wait for an
 * admin's approval, who may decide on them, and when a cap is nearly used up.
 * Everything here runs before the reservation, so a refusal spends nothing.
 */
import { UserFacingError } from './errors.js';
import { plainText, type Markup } from './markup.js';
import { msg, render } from './messages.js';
import type { Micros } from './money.js';
import type { ChannelDefaults, NamedGroup, RoutingPolicy, TenantSettings } from './tenant-settings.js';
import type { Actor, GenerationInput, GivenOption, JobRecord } from './types.js';

/** A channel default that was used because the user did not give that option. */
export interface AppliedDefault {
  option: GivenOption | 'policy';
  value: string;
}

const names = (groups: readonly NamedGroup[]): string[] => groups.map((g) => g.name);

function inAny(actor: Actor, groups: readonly NamedGroup[]): boolean {
  return groups.some((g) => actor.groups?.includes(g.id));
}

/** Throws the sentence a blocked or unlisted member sees; admins may always spend unless blocked. */
export function requireMaySpend(settings: TenantSettings, actor: Actor): void {
  const access = settings.access;
  if (!access) return;
  if (access.blocked.some((m) => m.id === actor.userId)) {
    throw new UserFacingError(msg('access.blocked', { changedBy: access.changedBy }), { code: 'not_allowed' });
  }
  if (access.allowedGroups.length === 0 || actor.isAdmin || inAny(actor, access.allowedGroups)) return;
  throw new UserFacingError(msg('access.not_in_groups', { groupNames: names(access.allowedGroups), changedBy: access.changedBy }), { code: 'not_allowed' });
}

/** What the user did not choose, taken from the channel's defaults. Options the user gave win. */
export function applyChannelDefaults(
  input: GenerationInput,
  channel: ChannelDefaults | undefined,
): { input: GenerationInput; applied: AppliedDefault[]; policy: RoutingPolicy | undefined } {
  if (!channel) return { input, applied: [], policy: undefined };
  const given = (option: GivenOption): boolean => {
    if (input.given) return input.given.includes(option);
    // A caller that does not say what was typed: a value other than the built-in default was typed.
    if (option === 'orientation') return input.orientation !== 'landscape';
    if (option === 'resolution') return input.resolution !== '720p';
    return input[option] !== undefined;
  };
  const next = { ...input };
  const applied: AppliedDefault[] = [];
  if (channel.orientation && !given('orientation')) {
    next.orientation = channel.orientation;
    applied.push({ option: 'orientation', value: channel.orientation });
  }
  if (channel.seconds !== undefined && !given('seconds')) {
    next.seconds = channel.seconds;
    applied.push({ option: 'seconds', value: String(channel.seconds) });
  }
  if (channel.resolution && !given('resolution')) {
    next.resolution = channel.resolution;
    applied.push({ option: 'resolution', value: channel.resolution });
  }
  if (channel.backend && !given('backend') && !input.remixOf) {
    next.backend = channel.backend;
    applied.push({ option: 'backend', value: channel.backend });
  }
  if (channel.policy) applied.push({ option: 'policy', value: channel.policy });
  return { input: next, applied, policy: channel.policy };
}

/** The approval threshold in force where the actor asks: the channel's, else the team's. */
export function approvalThreshold(settings: TenantSettings, actor: Actor): Micros | undefined {
  const channel = actor.place?.kind === 'channel' ? settings.channels?.[actor.place.id] : undefined;
  return channel?.approveAboveMicros ?? settings.approveAboveMicros;
}

/** Throws the sentence someone sees who may not approve or deny this job (or storyboard, id `b_…`). */
export function requireMayDecide(settings: TenantSettings, actor: Actor, job: Pick<JobRecord, 'id' | 'requesterId'>): void {
  const approvers = settings.access?.approverGroups ?? [];
  if (!actor.isAdmin && !inAny(actor, approvers)) {
    throw new UserFacingError(msg('decide.not_allowed', { groupNames: names(approvers) }), { code: 'not_allowed' });
  }
  if (job.requesterId === actor.userId && !actor.soleAdmin) {
    const said = msg('decide.own_request', { id: job.id, board: job.id.startsWith('b_'), unknown: actor.soleAdminUnknown });
    throw new UserFacingError(said, { code: 'not_allowed' });
  }
}

/** A cap that this reservation took past 80%, said once per month in the reply that crossed it. */
export interface CapWarning {
  scope: 'team' | 'member';
  usedMicros: Micros;
  capMicros: Micros;
  /** Where the warning is also posted (`/settings alerts --channel`), a channel id. */
  alertsChannel: string | undefined;
}

export const WARN_AT = 0.8;

/** The warnings due for this reservation, and the keys to mark as given (`team`, `user:<id>`). */
export function dueWarnings(
  settings: TenantSettings,
  month: string,
  userId: string,
  used: { team: Micros; teamCap: Micros; member: Micros; memberCap: Micros },
): { warnings: CapWarning[]; keys: string[] } {
  const given = new Set(settings.alertsGiven?.[month] ?? []);
  const warnings: CapWarning[] = [];
  const keys: string[] = [];
  const check = (scope: CapWarning['scope'], key: string, usedMicros: Micros, capMicros: Micros) => {
    if (capMicros <= 0 || usedMicros < capMicros * WARN_AT || given.has(key)) return;
    warnings.push({ scope, usedMicros, capMicros, alertsChannel: settings.alertsChannel });
    keys.push(key);
  };
  check('team', 'team', used.team, used.teamCap);
  check('member', `user:${userId}`, used.member, used.memberCap);
  return { warnings, keys };
}

/** The 80% warning in `m`'s language: the acceptance's reader's, or English for the alerts channel everyone reads. */
export function describeWarning(w: CapWarning, memberName?: string, m: Markup = plainText): string {
  const percent = Math.floor((w.usedMicros / w.capMicros) * 100);
  return render(msg('budget.warning', { scope: w.scope, percent, usedMicros: w.usedMicros, capMicros: w.capMicros, ...(memberName !== undefined && { memberName }) }), m);
}
