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
import { describeDefaults } from './team-desk.js';
import { describeWarning } from './team-rules.js';

/** The lines an acceptance adds: defaults used, the approval wait, warnings. */
export function acceptanceNotes(a: Accepted, m: Markup): string[] {
  const out: string[] = [];
  const used = (a.appliedDefaults ?? []).filter((d) => d.option !== 'policy');
  if (used.length > 0) out.push(`This channel's defaults applied: ${used.map((d) => m.option(d.option, d.value)).join(', ')}.`);
  if (a.job.state === 'awaiting_approval' && a.job.approval) {
    out.push(
      `${m.bold('Waiting for an admin:')} the estimate is above the ${formatUsd(a.job.approval.thresholdMicros)} approval threshold. The money is held; nothing runs until an admin approves (or it is released after ${hours(a.job.approval.expiresAt - a.job.createdAt)}).`,
    );
  }
  for (const w of a.warnings ?? []) out.push(describeWarning(w));
  return out;
}

function hours(ms: number): string {
  const h = Math.round(ms / 3_600_000);
  return `${h} hour${h === 1 ? '' : 's'}`;
}

export function describeSettings(reply: Extract<Reply, { kind: 'settings' }>, m: Markup): string {
  const { settings, channel } = reply.view;
  const access = settings.access;
  const out = [m.bold(reply.changed ? 'Settings updated.' : 'Settings')];
  out.push(`Approval: ${settings.approveAboveMicros !== undefined ? `videos above ${formatUsd(settings.approveAboveMicros)} wait for an admin` : 'none (set one with /budget set --approve-above USD)'}.`);
  out.push(
    `Who may make videos: ${access?.allowedGroups.length ? `admins and members of ${access.allowedGroups.map((g) => g.name).join(', ')}` : 'every member'}` +
      (access?.blocked.length ? `; blocked: ${access.blocked.map((g) => g.name).join(', ')}` : '') +
      '.',
  );
  if (access?.approverGroups.length) out.push(`Who may approve besides admins: ${access.approverGroups.map((g) => g.name).join(', ')}.`);
  out.push(`80% warnings: ${settings.alertsChannel ? `in the reply that crossed it and in ${settings.alertsChannel}` : 'in the reply that crossed it'}.`);
  out.push(channel ? `This channel's defaults: ${describeDefaults(channel.defaults)}.` : "This channel has no defaults of its own.");
  const others = Object.keys(settings.channels ?? {}).filter((id) => id !== channel?.id).length;
  if (others > 0) out.push(`${others} other channel${others === 1 ? ' has' : 's have'} defaults.`);
  return out.join('\n');
}

function auditLine(e: AuditEntry): string {
  const when = new Date(e.at).toISOString().slice(0, 16).replace('T', ' ');
  const whose = e.member && e.member.id !== e.by.id ? ` (${e.member.name})` : '';
  const job = e.jobId ? ` ${e.jobId}` : '';
  return `${when} UTC · ${e.by.name}${whose} · ${e.action}${job}: ${e.detail}`;
}

export function describeAudit(entries: readonly AuditEntry[]): string {
  return entries.length === 0 ? 'The audit trail is empty.' : entries.map(auditLine).join('\n');
}

export function describeDecision(reply: Extract<Reply, { kind: 'decided' }>, m: Markup): string {
  const d = reply.job.approval?.decision;
  if (d?.outcome === 'approved') return `Approved job ${m.code(reply.job.id)} for ${reply.job.requesterName}; it is in line now.`;
  return `Denied job ${m.code(reply.job.id)} for ${reply.job.requesterName}; its ${formatUsd(reply.job.estimateMicros)} went back to the budget.`;
}
