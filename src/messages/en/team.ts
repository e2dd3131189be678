/** English words for the team controls (src/core/message-codes-team.ts). */
import type { TeamParams } from '../../core/message-codes-team.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';

export const team: Sentences<TeamParams> = {
  'settings.title': (p) => (p.changed ? 'Settings updated.' : 'Settings'),
  'settings.approval': (p) => `Approval: ${p.approveAboveMicros !== undefined ? `videos above ${usd(p.approveAboveMicros)} wait for an admin` : 'none (set one with /budget set --approve-above USD)'}.`,
  'settings.access': (p) =>
    `Who may make videos: ${p.allowed.length > 0 ? `admins and members of ${p.allowed.join(', ')}` : 'every member'}${p.blocked.length > 0 ? `; blocked: ${p.blocked.join(', ')}` : ''}.`,
  'settings.approvers': (p) => `Who may approve besides admins: ${p.groups.join(', ')}.`,
  'settings.alerts': (p) => `80% warnings: ${p.channel ? `in the reply that crossed it and in ${p.channel}` : 'in the reply that crossed it'}.`,
  'settings.channel': (p, m) =>
    p.defaults ? `This channel's defaults: ${p.defaults.length > 0 ? p.defaults.map((d) => m.option(d.option, d.value)).join(' ') : 'none'}.` : 'This channel has no defaults of its own.',
  'settings.others': (p) => `${p.count} other channel${p.count === 1 ? ' has' : 's have'} defaults.`,
  'audit.empty': () => 'The audit trail is empty.',
  'job.decided': (p, m) =>
    p.approved
      ? `Approved job ${m.code(p.jobId)} for ${p.requesterName}; it is in line now.`
      : `Denied job ${m.code(p.jobId)} for ${p.requesterName}; its ${usd(p.estimateMicros)} went back to the budget.`,
  'budget.warning': (p) => {
    const whose = p.scope === 'team' ? 'The team has used' : p.memberName ? `${p.memberName} has used` : 'You have used';
    const cap = p.scope === 'team' ? "the team's" : 'the monthly';
    return `⚠️ ${whose} ${p.percent}% of ${cap} ${usd(p.capMicros)} cap this month (${usd(p.usedMicros)}, counting videos in progress).`;
  },
};
