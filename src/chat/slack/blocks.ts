/**
 * Block Kit for everything the bot posts in Slack. Every message also carries
 * a plain `text`: Slack shows it in notifications and to screen readers, and
 * rejects top-level text-less messages with blocks in some clients.
 */
import type { types } from '@slack/bolt';
import type { Accepted, CostReport } from '../../core/studio.js';
import { stageOf } from '../../core/job-lifecycle.js';
import { formatUsd } from '../../core/money.js';
import { words } from '../../core/messages.js';
import { chatMarkdown, deniedText, describeDuration, describeReply, progressBar, type Markup } from '../../core/present.js';
import type { Reply } from '../../core/replies.js';
import { takeLabel } from '../../core/takes.js';
import type { JobEvent, JobRecord } from '../../core/types.js';
import { escapeSlackText } from './slack-text.js';

type Block = types.KnownBlock;

export const ACTION = {
  cancel: 'sora_job_cancel',
  remix: 'sora_job_remix',
  retry: 'sora_job_retry',
  extend: 'sora_job_extend',
  approve: 'sora_job_approve',
  deny: 'sora_job_deny',
  keep: 'sora_job_keep',
} as const;
export const REMIX_VIEW = 'sora_remix_submit';
export const REMIX_BLOCK = 'remix_prompt';
export const REMIX_INPUT = 'prompt';

/** Section text is capped at 3000 characters by Block Kit. */
function clip(text: string, max = 2900): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Prompts are user text: quoting them with `>` keeps them from reading as the bot's words. */
function quote(text: string): string {
  return clip(text.split('\n').map((l) => `>${l}`).join('\n'));
}

const escapeMrkdwn = escapeSlackText;

/** A member named by id renders as a mention; anything that is not a Slack user id is shown as text. */
function member(id: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(id) ? `<@${id}>` : escapeMrkdwn(id);
}

export interface BudgetLeft {
  tenantLeftMicros: number;
  userLeftMicros: number;
}

/** The message that opens a job's thread, in the requester's language. `left` is unknown when a restarted process reopens the thread. */
export function parentMessage(job: JobRecord, backendName: string, left: BudgetLeft | undefined, m: Markup = chatMarkdown): { text: string; blocks: Block[] } {
  const t = words(m);
  const who = `<@${job.requesterId}>`;
  // Display names are user-chosen: unescaped, a name like `<!channel>` would ping the whole channel.
  const text = t('thread.asked', { requesterName: escapeMrkdwn(job.requesterName), seconds: job.seconds, estimateMicros: job.estimateMicros });
  const estimate = t('thread.estimate', { estimateMicros: job.estimateMicros, seconds: job.seconds, orientation: job.input.orientation, backendName: escapeMrkdwn(backendName) });
  const fields: types.MrkdwnElement[] = [{ type: 'mrkdwn', text: `${m.bold(t('thread.estimate-label'))}\n${estimate}` }];
  if (left) fields.push({ type: 'mrkdwn', text: `${m.bold(t('thread.budget-label'))}\n${t('thread.budget', { who, tenantLeftMicros: left.tenantLeftMicros, userLeftMicros: left.userLeftMicros })}` });
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${t('thread.request', { who, ...(job.input.remixOf && { remixOf: job.input.remixOf }) })}\n${quote(escapeMrkdwn(job.input.prompt))}` } },
      { type: 'section', fields },
      { type: 'context', elements: [{ type: 'mrkdwn', text: t('thread.follow', { jobId: job.id }) }] },
    ],
  };
}

export function parentMessageForAccepted(accepted: Accepted, m: Markup = chatMarkdown): { text: string; blocks: Block[] } {
  const message = parentMessage(accepted.job, accepted.backendName, accepted, m);
  const duration = accepted.duration ? describeDuration(accepted.duration, m) : '';
  // The length notice goes right under the estimate: it says what will be made and what another backend would make.
  if (duration) message.blocks.splice(2, 0, { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(duration) }] });
  if (accepted.takes) {
    // The estimate above is one take's: say how many there are and what they hold together.
    const takes = `*${accepted.takes.length} takes*, estimated ${formatUsd(accepted.estimateMicros)} together (${formatUsd(accepted.job.estimateMicros)} each): ${accepted.takes.map((t, i) => `${i + 1}. \`${t.id}\``).join(', ')}. Keep the one you like with its Keep button.`;
    message.blocks.splice(2, 0, { type: 'context', elements: [{ type: 'mrkdwn', text: takes }] });
    message.text = `${message.text} ${accepted.takes.length} takes.`;
  }
  return message;
}

function button(actionId: string, label: string, jobId: string, style?: 'primary' | 'danger'): types.Button {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label }, value: jobId, ...(style ? { style } : {}) };
}

export interface StatusView {
  /** One line: what the job is doing now. */
  line: string;
  final: boolean;
  buttons: 'cancel' | 'after' | 'retry' | 'approve';
}

/** `elapsed`: `elapsedProgress` for a provider that reports no percent, shown instead of a frozen bar. */
export function statusView(job: JobRecord, event: JobEvent | undefined, backendName: string, elapsed?: string): StatusView {
  if (!event) return { line: ':hourglass_flowing_sand: Queued.', final: false, buttons: 'cancel' };
  switch (event.type) {
    case 'queued':
      return { line: `:hourglass_flowing_sand: Queued, position ${event.position} in line.`, final: false, buttons: 'cancel' };
    case 'progress': {
      if (event.phase === 'generating' && elapsed) return { line: `:movie_camera: Generating on ${backendName}\n${elapsed}`, final: false, buttons: 'cancel' };
      if (event.phase === 'generating') return { line: `:movie_camera: Generating on ${backendName}\n\`${progressBar(event.progress)}\``, final: false, buttons: 'cancel' };
      const where = event.position !== undefined ? `, position ${event.position}` : '';
      return { line: `:gear: ${capitalize(stageOf(job, backendName, event))}${where}.`, final: false, buttons: event.phase === 'downloading' || event.phase === 'uploading' ? 'after' : 'cancel' };
    }
    case 'finished':
      return { line: `:white_check_mark: Done: ${job.seconds}s on ${backendName} for ${formatUsd(job.priceMicros ?? job.estimateMicros)}. The video is below.`, final: true, buttons: 'after' };
    case 'failed':
      return { line: `:x: ${escapeMrkdwn(event.reason)}`, final: true, buttons: 'retry' };
    case 'cancelled':
      return { line: `:no_entry_sign: Cancelled by ${escapeMrkdwn(event.byName)}. The reserved budget went back to the team.`, final: true, buttons: 'retry' };
    case 'awaiting-approval':
      return { line: `:raised_hand: Awaiting an admin's approval: estimated ${formatUsd(job.estimateMicros)}, above the ${formatUsd(event.thresholdMicros)} threshold. The money is held.`, final: false, buttons: 'approve' };
    case 'approved':
      return { line: `:white_check_mark: Approved by ${escapeMrkdwn(event.byName)}. Queued.`, final: false, buttons: 'cancel' };
    case 'denied':
      return { line: `:no_entry_sign: ${deniedText(event, escapeMrkdwn)} The reserved budget went back to the team.`, final: true, buttons: 'retry' };
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function statusMessage(job: JobRecord, view: StatusView): { text: string; blocks: Block[] } {
  const elements: types.Button[] =
    view.buttons === 'approve'
      ? [button(ACTION.approve, 'Approve', job.id, 'primary'), button(ACTION.deny, 'Deny', job.id, 'danger'), button(ACTION.cancel, 'Cancel', job.id)]
      : view.buttons === 'cancel'
      ? [button(ACTION.cancel, 'Cancel', job.id, 'danger')]
      : view.buttons === 'retry'
        ? [button(ACTION.retry, 'Retry', job.id, 'primary')]
        : view.final
          ? [...(job.take ? [button(ACTION.keep, 'Keep', job.id, 'primary')] : []), button(ACTION.remix, 'Remix', job.id, job.take ? undefined : 'primary'), button(ACTION.extend, 'Extend', job.id), button(ACTION.retry, 'Retry', job.id)]
          : [];
  // A take says which one it is first: `*Take 2/3*`, so the thread reads as numbered results.
  const line = job.take ? `*${takeLabel(job)}* · ${view.line}` : view.line;
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(line) } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Job \`${job.id}\`` }] },
  ];
  if (elements.length > 0) blocks.push({ type: 'actions', block_id: `job_${job.id}`, elements });
  return { text: line.split('\n')[0]!, blocks };
}

/** The remix form, in the clicker's language. */
export function remixModal(job: JobRecord, metadata: string, m: Markup = chatMarkdown): types.ModalView {
  const t = words(m);
  return {
    type: 'modal',
    callback_id: REMIX_VIEW,
    private_metadata: metadata,
    title: { type: 'plain_text', text: t('form.slack-remix-title') },
    submit: { type: 'plain_text', text: t('form.generate') },
    close: { type: 'plain_text', text: t('form.cancel') },
    blocks: [
      { type: 'context', elements: [{ type: 'mrkdwn', text: t('form.remix-note', { jobId: job.id }) }] },
      {
        type: 'input',
        block_id: REMIX_BLOCK,
        label: { type: 'plain_text', text: t('form.remix-prompt') },
        element: { type: 'plain_text_input', action_id: REMIX_INPUT, multiline: true, min_length: 3, max_length: 2000, initial_value: job.input.prompt.slice(0, 2000) },
      },
    ],
  };
}

/** `/cost` as sections, in the reader's language: the totals, then per member and per backend, then the comparison. */
export function costBlocks(report: CostReport, m: Markup = chatMarkdown): { text: string; blocks: Block[] } {
  const t = words(m);
  const amount = (spentMicros: number, reservedMicros: number, capMicros?: number) => t('spend.amount', { spentMicros, reservedMicros, ...(capMicros !== undefined && { capMicros }) });
  const { summary } = report;
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: t('spend.title', { month: report.month }) } }];
  if (report.user) {
    const u = summary.byUser[report.user.id];
    blocks.push({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*${member(report.user.id)}*\n${amount(u?.spentMicros ?? 0, u?.reservedMicros ?? 0, report.user.capMicros)}` },
        { type: 'mrkdwn', text: `*${t('spend.videos-label')}*\n${u?.jobs ?? 0}` },
      ],
    });
  } else {
    const left = Math.max(0, report.tenantCapMicros - summary.total.spentMicros - summary.total.reservedMicros);
    blocks.push({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*${t('spend.team')}*\n${amount(summary.total.spentMicros, summary.total.reservedMicros, report.tenantCapMicros)}` },
        { type: 'mrkdwn', text: `*${t('spend.left-label')}*\n${formatUsd(left)}` },
        { type: 'mrkdwn', text: `*${t('spend.videos-label')}*\n${summary.total.jobs}` },
        { type: 'mrkdwn', text: `*${t('spend.member-cap-label')}*\n${formatUsd(report.userCapMicros)}` },
      ],
    });
    const users = Object.entries(summary.byUser).sort((a, b) => b[1].spentMicros - a[1].spentMicros).slice(0, 10);
    if (users.length > 0) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*${t('spend.by-member')}*\n${users.map(([id, u]) => `• ${member(id)}: ${amount(u.spentMicros, u.reservedMicros)} · ${t('spend.count', { count: u.jobs })}`).join('\n')}`) } });
    }
    const backends = Object.entries(summary.byBackend).sort((a, b) => b[1].spentMicros - a[1].spentMicros);
    if (backends.length > 0) {
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*${t('spend.by-backend')}*\n${backends.map(([id, b]) => `• ${escapeMrkdwn(report.backendNames[id] ?? id)}: ${formatUsd(b.spentMicros)} · ${t('spend.count', { count: b.jobs })}`).join('\n')}`) } });
    }
  }
  const official = report.user ? (summary.byUser[report.user.id]?.officialMicros ?? 0) : summary.total.officialMicros;
  const spent = report.user ? (summary.byUser[report.user.id]?.spentMicros ?? 0) : summary.total.spentMicros;
  if (official > 0) {
    const diff = official - spent;
    const text = t('spend.official-short', { backendName: escapeMrkdwn(report.referenceBackendName), officialMicros: official, ...(diff > 0 && { savedMicros: diff }) });
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text }] });
  }
  return { text: escapeMrkdwn(describeReply({ kind: 'cost', report }, m)), blocks };
}

/** Any other reply: the shared text in the member's language, which reads well as mrkdwn once the members' words in it are escaped. */
export function replyText(reply: Reply, m: Markup = chatMarkdown): string {
  return clip(escapeMrkdwn(describeReply(reply, m)), 3900);
}
