/**
 * Words for the team controls: the settings, the audit trail, a decision on a
 * job, the channel defaults an acceptance used and the 80% warnings. Shared by
 * every surface, in its markup (present.ts).
 */
import type { AuditEntry } from './audit-log.js';
import { formatUsd } from './money.js';
import type { Markup } from './present.js';
import type { Reply } from './replies.js';
import type { Accepted } from './studio.js';
import { words } from './messages.js';
import type { ChannelDefaults } from './tenant-settings.js';
import { describeWarning } from './team-rules.js';

/** The lines an acceptance adds: defaults used, the approval wait, warnings. */
export function acceptanceNotes(a: Accepted, m: Markup): string[] {
  const t = words(m);
  const out: string[] = [];
  const used = (a.appliedDefaults ?? []).filter((d) => d.option !== 'policy');
  if (used.length > 0) out.push(t('accepted.defaults', { options: used }));
  if (a.job.state === 'awaiting_approval' && a.job.approval) {
    out.push(t('accepted.awaiting-approval', { thresholdMicros: a.job.approval.thresholdMicros, expiresInMs: a.job.approval.expiresAt - a.job.createdAt }));
  }
  for (const w of a.warnings ?? []) out.push(describeWarning(w, undefined, m));
  return out;
}

/** A channel's defaults as options (`--seconds 8`, `seconds:8`), in the order /settings channel takes them. */
function defaultOptions(d: ChannelDefaults): { option: string; value: string }[] {
  const out: { option: string; value: string }[] = [];
  if (d.orientation) out.push({ option: 'orientation', value: d.orientation });
  if (d.seconds !== undefined) out.push({ option: 'seconds', value: String(d.seconds) });
  if (d.resolution) out.push({ option: 'resolution', value: d.resolution });
  if (d.backend) out.push({ option: 'backend', value: d.backend });
  if (d.policy) out.push({ option: 'policy', value: d.policy });
  if (d.approveAboveMicros !== undefined) out.push({ option: 'approve-above', value: formatUsd(d.approveAboveMicros) });
  return out;
}

export function describeSettings(reply: Extract<Reply, { kind: 'settings' }>, m: Markup): string {
  const t = words(m);
  const { settings, channel } = reply.view;
  const access = settings.access;
  const out = [m.bold(t('settings.title', { changed: reply.changed }))];
  out.push(t('settings.approval', settings.approveAboveMicros !== undefined ? { approveAboveMicros: settings.approveAboveMicros } : {}));
  out.push(t('settings.access', { allowed: (access?.allowedGroups ?? []).map((g) => g.name), blocked: (access?.blocked ?? []).map((g) => g.name) }));
  if (access?.approverGroups.length) out.push(t('settings.approvers', { groups: access.approverGroups.map((g) => g.name) }));
  out.push(t('settings.alerts', settings.alertsChannel ? { channel: settings.alertsChannel } : {}));
  out.push(t('settings.channel', channel ? { defaults: defaultOptions(channel.defaults) } : {}));
  const others = Object.keys(settings.channels ?? {}).filter((id) => id !== channel?.id).length;
  if (others > 0) out.push(t('settings.others', { count: others }));
  return out.join('\n');
}

function auditLine(e: AuditEntry): string {
  const when = new Date(e.at).toISOString().slice(0, 16).replace('T', ' ');
  const whose = e.member && e.member.id !== e.by.id ? ` (${e.member.name})` : '';
  const job = e.jobId ? ` ${e.jobId}` : '';
  return `${when} UTC · ${e.by.name}${whose} · ${e.action}${job}: ${e.detail}`;
}

/** The audit lines keep the words they were recorded with (English); only the empty trail is worded per reader. */
export function describeAudit(entries: readonly AuditEntry[], m: Markup): string {
  return entries.length === 0 ? words(m)('audit.empty') : entries.map(auditLine).join('\n');
}

export function describeDecision(reply: Extract<Reply, { kind: 'decided' }>, m: Markup): string {
  const job = reply.job;
  return words(m)('job.decided', { approved: job.approval?.decision?.outcome === 'approved', jobId: job.id, requesterName: job.requesterName, estimateMicros: job.estimateMicros });
}
