/**
 * How replies and job states look on Discord: embeds for lists and reports,
 * one status message per job, buttons. Text comes from the core's presenters
 * so every platform says the same thing.
 */
import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponent, type APIEmbed } from 'discord.js';
import type { Reply } from '../../core/replies.js';
import { formatUsd } from '../../core/money.js';
import { describeCost, describeDelivered, describeReply, discordMarkdown, progressBar, type Markup } from '../../core/present.js';
import { msg, render } from '../../core/messages.js';
import { takeLabel } from '../../core/takes.js';
import type { JobRecord } from '../../core/types.js';
import { jobCustomId, type JobAction } from './custom-ids.js';

const COLOR = 0x5865f2;

/** Discord rejects message content over 2000 characters and embed descriptions over 4096. */
export function clip(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

const BUTTON_LABELS: Record<JobAction, { label: string; style: ButtonStyle }> = {
  cancel: { label: 'Cancel', style: ButtonStyle.Danger },
  remix: { label: 'Remix', style: ButtonStyle.Primary },
  retry: { label: 'Retry', style: ButtonStyle.Secondary },
  extend: { label: 'Extend', style: ButtonStyle.Secondary },
  keep: { label: 'Keep', style: ButtonStyle.Success },
  approve: { label: 'Approve', style: ButtonStyle.Success },
  deny: { label: 'Deny', style: ButtonStyle.Danger },
};

export function jobButtons(jobId: string, actions: JobAction[]): APIActionRowComponent<APIButtonComponent>[] {
  if (actions.length === 0) return [];
  return [
    {
      type: ComponentType.ActionRow,
      components: actions.map((action) => ({
        type: ComponentType.Button,
        custom_id: jobCustomId(action, jobId),
        label: BUTTON_LABELS[action].label,
        style: BUTTON_LABELS[action].style,
      })) as APIButtonComponent[],
    },
  ];
}

export interface StatusView {
  stage: string;
  progress: number | undefined;
  position: number | undefined;
  note?: string;
}

export function statusText(job: JobRecord, view: StatusView): string {
  const lines = [job.take ? `**${takeLabel(job)}** · **Status:** ${view.stage}` : `**Status:** ${view.stage}`];
  if (view.progress !== undefined) lines.push(`\`${progressBar(view.progress)}\``);
  if (view.position !== undefined) lines.push(`Queue position: ${view.position}`);
  if (view.note) lines.push(view.note);
  lines.push(`-# Job \`${job.id}\` · ${job.seconds}s ${job.input.orientation} on ${job.backend} · for <@${job.requesterId}>`);
  return clip(lines.join('\n'));
}

export function threadName(job: JobRecord): string {
  const prompt = job.input.prompt.replace(/\s+/g, ' ').trim();
  // Thread names are at most 100 characters.
  return clip(`🎬 ${prompt}`, 95);
}

export function deliveryText(job: JobRecord, note: string | undefined, link: string | undefined): string {
  const quoted = job.input.prompt.split('\n').map((l) => `> ${l}`).join('\n');
  const lines = [
    `<@${job.requesterId}> your video is ready${job.take ? ` (${takeLabel(job).toLowerCase()})` : ''}.`,
    clip(quoted, 1200),
    `${job.backend} · ${job.seconds}s · ${describeDelivered(job)} · ${formatUsd(job.priceMicros ?? job.estimateMicros)} · job \`${job.id}\``,
  ];
  if (link) lines.push(link);
  if (note) lines.push(`-# ${note}`);
  return clip(lines.join('\n'));
}

function embed(title: string, description: string): APIEmbed {
  return { title: clip(title, 256), description: clip(description, 4096), color: COLOR };
}

/** A reply as a message body, in `m`'s language. Lists and reports become embeds; the rest is a sentence. */
export function replyMessage(reply: Reply, m: Markup = discordMarkdown): { content?: string; embeds?: APIEmbed[]; files?: { attachment: Buffer; name: string }[] } {
  switch (reply.kind) {
    case 'characters':
      return { embeds: [embed(render(msg('characters.title'), m), describeReply(reply, m).replace(/\*/g, ''))] };
    case 'character':
      return { embeds: [embed(`@${reply.view.character.name}`, describeReply(reply, m))] };
    case 'cost': {
      const [head, ...rest] = describeCost(reply.report, m).split('\n');
      const report = embed((head ?? 'Spend').replace(/\*/g, ''), rest.join('\n').replace(/\*(.+?)\*/g, '**$1**'));
      const files: { attachment: Buffer; name: string }[] = [];
      // The chart shows inside the embed: an attachment named in the embed's image (discord.com/developers/docs/resources/message#embed-object-embed-image-structure).
      if (reply.chart) {
        files.push({ attachment: Buffer.from(reply.chart.bytes), name: reply.chart.fileName });
        report.image = { url: `attachment://${reply.chart.fileName}` };
      }
      if (reply.csv) files.push({ attachment: Buffer.from(reply.csv.text), name: reply.csv.fileName });
      return { embeds: [report], ...(files.length > 0 && { files }) };
    }
    case 'budget': {
      const [head, ...rest] = describeReply(reply, m).split('\n');
      return { embeds: [embed((head ?? 'Budget').replace(/\*/g, ''), rest.join('\n'))] };
    }
    default:
      return { content: clip(describeReply(reply, m)) };
  }
}
