/** English refusals and failures (src/core/message-codes-errors.ts). */
import type { ErrorParams } from '../../core/message-codes-errors.js';
import type { Sentences } from '../../core/messages.js';
import { formatUsd as usd } from '../../core/money.js';

export const errors: Sentences<ErrorParams> = {
  'internal': () => "Something went wrong on the bot's side. Nothing was charged; try again, and if it keeps happening tell the bot's admin (details are in its log).",
  'text': (p) => p.en,
  'unknown_command': (p) => `The bot does not know ${p.name}.`,
  'admin_only': (p) => `Only ${p.adminsAre ?? 'admins'} can use ${p.name}.`,
  'admins.discord': () => 'members with the Manage Server permission',
  'not_in_server': () => 'This bot works in servers, where teams share budgets and characters. Use it in a server channel.',
  'shutting_down': () => 'The bot is restarting and not taking new videos for a moment. Try again shortly.',
  'budget_exceeded': (p) => {
    const s = p.subject;
    const what =
      s.kind === 'video'
        ? `This video is estimated at ${usd(s.estimateMicros)}`
        : s.kind === 'takes'
          ? `${s.count} takes of this video are estimated at ${usd(s.eachMicros * s.count)} together (${usd(s.eachMicros)} each)`
          : `${s.kind === 'extension' ? 'This extension is' : `These ${s.count} shots are`} estimated at ${usd(s.totalMicros)} together`;
    const advice = s.kind === 'video' ? 'Try a shorter video' : s.kind === 'takes' ? 'Ask for fewer takes or a shorter video' : 'Try fewer or shorter shots';
    return `${what}, but ${p.scope === 'tenant' ? 'the team has' : 'you have'} ${usd(p.leftMicros)} left of ${p.scope === 'tenant' ? "the team's" : 'your'} ${usd(p.capMicros)} monthly cap. Nothing was spent. ${advice}, or ask an admin to raise the cap with /budget set.`;
  },
  'unknown_job': (p) => (p.visible ? `There is no job ${p.jobId} in this team that you can see.` : `There is no job ${p.jobId} in this team.`),
  'cancel.not_allowed': (p) => `Only ${p.requesterName} or an admin can cancel job ${p.jobId}.`,
  'cancel.already_finished': (p) => `Job ${p.jobId} is already ${p.state}.`,
  'cancel.too_late': (p) => `Job ${p.jobId} has already been made and is being posted, so it can no longer be cancelled.`,
  'remix.not_finished': (p) => `Job ${p.jobId} has not finished, so it cannot be remixed yet.`,
  'extend.not_finished': (p) => `${p.board ? 'Storyboard' : 'Job'} ${p.id} has no finished video the bot still holds, so it cannot be extended.`,
  'already_decided': (p) =>
    `Job ${p.jobId} is ${
      p.outcome === 'expired' ? 'expired without a decision' : p.outcome === 'undecided' ? `not waiting for approval (it is ${p.state ?? 'gone'})` : `already ${p.outcome} by ${p.byName}`
    }.`,
  'attachment.missing': () => 'The attached file did not reach the bot. Attach it again.',
  'attachment.too_big': (p) => `The attached file is ${p.sizeMiB.toFixed(1)} MiB; the bot takes files up to ${p.maxMiB} MiB.`,
  'no_attachments': () => 'Attachments are not supported here.',
  'not_a_mention': (p) => `${p.ref} is not a member mention here. Type @ and pick the member from the list, so it becomes a mention.`,
  'thread.discord': (p, m) =>
    `I couldn't open a thread for job ${m.code(p.jobId)}, so it was cancelled and nothing was charged. Check the bot's permissions in this channel and try again.`,
  'thread.slack_not_in_channel': () =>
    "I can't post in this conversation, so the video was not started and nothing was spent. Add me to the channel (/invite) or use a channel I'm in.",
  'thread.slack_refused': () => 'Slack did not accept my message, so the video was not started and nothing was spent. Try again in a moment.',
  'slack.unreadable_command': () => 'Slack sent that command in a form I could not read. Please try again.',
};
