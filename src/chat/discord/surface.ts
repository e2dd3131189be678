/**
 * The Discord Surface: shows a job's life in its thread. Everything after the
 * first reply goes through the bot token and REST ids kept in the job's
 * SurfaceRef, so it works the same after the 15-minute interaction token has
 * died and after a restart (a new client has no interaction objects). The
 * token is only used, while it lives, for what only it can do: edit the
 * original reply and send the requester an ephemeral note.
 */
import { readFile } from 'node:fs/promises';
import { MessageFlags, Routes, type REST } from 'discord.js';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { stageOf } from '../../core/job-lifecycle.js';
import { formatUsd } from '../../core/money.js';
import type { Surface } from '../../core/ports.js';
import { msg, render, resolveLocale } from '../../core/messages.js';
import { deniedText, discordMarkdown, elapsedProgress, inLocale, type Markup } from '../../core/present.js';
import type { BackendCapabilities } from '../../core/capabilities.js';
import type { JobEvent, JobRecord, SurfaceRef } from '../../core/types.js';
import type { Logger } from '../../log.js';
import type { BotMediaStore } from '../../media/media-store.js';
import { discordBoardView, threadOfBoard } from './board-surface.js';
import { fitToUpload, multipartMessage } from './fit-upload.js';
import { discordCode, isDeadToken, UNKNOWN_MESSAGE } from './api-errors.js';
import { clip, deliveryText, jobButtons, statusText, threadName, type StatusView } from './render.js';
import { parseDiscordRef, tokenUsable, type DiscordRef } from './surface-ref.js';

/** Discord allows about 5 message edits per 5 s per channel; one edit per job every 3 s leaves room. */
export const STATUS_EDIT_GAP_MS = 3_000;

const messageSchema = z.object({ id: z.string(), content: z.string().optional(), nonce: z.union([z.string(), z.number()]).optional(), author: z.object({ id: z.string() }).passthrough().optional() }).passthrough();
const messageListSchema = z.array(messageSchema);

export interface DiscordSurfaceOptions {
  rest: REST;
  clock: Clock;
  logger: Logger;
  media: BotMediaStore;
  /** The bot's user id once logged in; used to recognise its own messages after a restart. */
  botUserId: () => string | undefined;
  /** A backend's declared capabilities: with no percent from the provider, the status shows time elapsed instead. */
  capabilities?: (backend: string) => BackendCapabilities | undefined;
}

interface JobMemory {
  lastEditAt: number;
  statusMessageId: string | undefined;
  threadId: string | undefined;
  tokenDead: boolean;
}

/** The nonce Discord deduplicates a delivery on (`enforce_nonce`), at most 25 characters. */
export function deliveryNonce(jobId: string): string {
  return `v${jobId}`.slice(0, 25);
}

export class DiscordSurface implements Surface {
  readonly platform = 'discord';
  readonly progressIntervalMs = STATUS_EDIT_GAP_MS;
  private readonly memory = new Map<string, JobMemory>();
  /** Storyboards and extensions (board-surface.ts). */
  readonly updateBoard: NonNullable<Surface['updateBoard']>;

  constructor(private readonly options: DiscordSurfaceOptions) {
    this.updateBoard = discordBoardView(options);
  }

  threadOfBoard(ref: SurfaceRef): SurfaceRef {
    return threadOfBoard(ref);
  }

  private get rest(): REST {
    return this.options.rest;
  }

  private remember(jobId: string): JobMemory {
    let m = this.memory.get(jobId);
    if (!m) {
      m = { lastEditAt: Number.NEGATIVE_INFINITY, statusMessageId: undefined, threadId: undefined, tokenDead: false };
      this.memory.set(jobId, m);
    }
    return m;
  }

  /** The core's notifier hands over one job's events one at a time, so two edits never race for the same status message. */
  async update(job: JobRecord, event: JobEvent): Promise<Partial<SurfaceRef> | void> {
    const ref = parseDiscordRef(job.surface);
    if (ref.deliveryMessageId && event.type !== 'finished') return;
    const memory = this.remember(job.id);
    const patch: Partial<DiscordRef> = {};
    const threadId = memory.threadId ?? ref.threadId ?? (await this.openThread(job, ref, patch));
    memory.threadId = threadId;
    const current: DiscordRef = { ...ref, ...patch, threadId, statusMessageId: memory.statusMessageId ?? ref.statusMessageId };
    switch (event.type) {
      case 'queued':
        await this.showStatus(job, current, { stage: 'queued', progress: undefined, position: event.position }, ['cancel'], false, patch);
        break;
      case 'progress': {
        const elapsed = event.phase === 'generating' ? elapsedProgress(job, event.progress, this.options.capabilities?.(job.backend), this.options.clock.now()) : undefined;
        const progress = !elapsed && (event.phase === 'generating' || event.progress > 0) ? event.progress : undefined;
        const stage = stageOf(job, this.options.capabilities?.(job.backend)?.displayName ?? job.backend, event);
        await this.showStatus(job, current, { stage, progress, position: event.position, ...(elapsed && { note: elapsed }) }, ['cancel'], false, patch);
        break;
      }
      case 'finished':
        await this.deliver(job, current, event, patch);
        break;
      case 'failed':
        await this.showStatus(job, current, { stage: 'failed', progress: undefined, position: undefined, note: event.reason }, ['retry'], true, patch);
        {
          const reader = readerOf(current);
          // The failure as kept (job-ends.ts `said`), in the requester's language; the thread keeps the English.
          const reason = job.error?.said ? render(job.error.said, reader) : event.reason;
          const take = job.take && { index: job.take.index, of: job.take.ids.length };
          await this.tellRequester(job, current, render(msg('note.failed', { jobId: job.id, reason, ...(take && { take }) }), reader));
        }
        await this.editOriginal(job, current, `Job \`${job.id}\` failed: ${event.reason}`);
        break;
      case 'cancelled':
        await this.showStatus(job, current, { stage: `cancelled by ${event.byName}`, progress: undefined, position: undefined, note: 'Its reserved budget went back to the team.' }, ['retry'], true, patch);
        await this.editOriginal(job, current, `Job \`${job.id}\` was cancelled by ${event.byName}; nothing was charged.`);
        break;
      case 'awaiting-approval': {
        const note = `Estimated ${formatUsd(job.estimateMicros)}, above the ${formatUsd(event.thresholdMicros)} approval threshold; the money is held. An admin decides with the buttons below (or \`/sora approve ${job.id}\`, \`/sora deny ${job.id}\`).`;
        await this.showStatus(job, current, { stage: "awaiting an admin's approval", progress: undefined, position: undefined, note }, ['approve', 'deny', 'cancel'], false, patch);
        break;
      }
      case 'approved':
        await this.showStatus(job, current, { stage: `approved by ${event.byName}`, progress: undefined, position: undefined }, ['cancel'], false, patch);
        await this.tellRequester(job, current, render(msg('note.approved', { jobId: job.id, byName: event.byName }), readerOf(current)));
        break;
      case 'denied':
        await this.showStatus(job, current, { stage: 'not approved', progress: undefined, position: undefined, note: `${deniedText(event)} Its reserved budget went back to the team.` }, ['retry'], true, patch);
        await this.tellRequester(job, current, render(msg('note.denied', { jobId: job.id, denied: deniedText(event, (t) => t, readerOf(current)) }), readerOf(current)));
        break;
    }
    if (memory.tokenDead && ref.interactionToken) {
      // Stop persisting a token Discord no longer accepts.
      patch.interactionToken = undefined;
      patch.tokenExpiresAt = undefined;
    }
    // The job's last event was shown: what is left to know about it is in its stored ref (a repeated `finished` finds the delivery there or in the thread).
    if (event.type === 'finished' || event.type === 'failed' || event.type === 'cancelled') this.memory.delete(job.id);
    return Object.keys(patch).length > 0 ? (patch as Partial<SurfaceRef>) : undefined;
  }

  /** An 80% warning in the channel `/settings alerts` named; it mentions nobody (allowed_mentions). */
  async postAlert(_tenant: string, channelId: string, text: string): Promise<void> {
    await this.rest.post(Routes.channelMessages(channelId), { body: { content: clip(text), allowed_mentions: { parse: [] } } });
  }

  /**
   * A job accepted just before a crash may have no thread yet: the core runs it
   * anyway on resume, so open one from a fresh message in the original channel.
   */
  private async openThread(job: JobRecord, ref: DiscordRef, patch: Partial<DiscordRef>): Promise<string> {
    const anchor = messageSchema.parse(
      await this.rest.post(Routes.channelMessages(ref.channelId), {
        body: { content: clip(`Video for <@${job.requesterId}>: job \`${job.id}\``), allowed_mentions: { parse: [] } },
      }),
    );
    const thread = z
      .object({ id: z.string() })
      .parse(await this.rest.post(Routes.threads(ref.channelId, anchor.id), { body: { name: threadName(job), auto_archive_duration: 1440 } }));
    patch.replyMessageId = anchor.id;
    patch.threadId = thread.id;
    return thread.id;
  }

  /** Edits the status message, at most once per STATUS_EDIT_GAP_MS unless the job just ended; a deleted one is replaced. */
  private async showStatus(
    job: JobRecord,
    ref: DiscordRef,
    view: StatusView,
    buttons: Parameters<typeof jobButtons>[1],
    terminal: boolean,
    patch: Partial<DiscordRef>,
  ): Promise<void> {
    const memory = this.remember(job.id);
    const now = this.options.clock.now();
    if (!terminal && now - memory.lastEditAt < STATUS_EDIT_GAP_MS) return;
    memory.lastEditAt = now;
    const body = { content: statusText(job, view), components: jobButtons(job.id, buttons), allowed_mentions: { parse: [] } };
    const threadId = ref.threadId!;
    if (ref.statusMessageId) {
      try {
        await this.rest.patch(Routes.channelMessage(threadId, ref.statusMessageId), { body });
        return;
      } catch (error) {
        if (discordCode(error) !== UNKNOWN_MESSAGE) throw error;
        this.options.logger.info({ job: job.id }, 'status message was deleted; posting a new one');
      }
    }
    const posted = messageSchema.parse(await this.rest.post(Routes.channelMessages(threadId), { body }));
    memory.statusMessageId = posted.id;
    patch.statusMessageId = posted.id;
  }

  /** Idempotent: a delivery that already landed (before a crash, or a repeat) is found and not posted again. */
  private async deliver(job: JobRecord, ref: DiscordRef, event: Extract<JobEvent, { type: 'finished' }>, patch: Partial<DiscordRef>): Promise<void> {
    const threadId = ref.threadId!;
    const existing = ref.deliveryMessageId ?? (await this.findDelivery(job, threadId));
    if (existing) {
      patch.deliveryMessageId = existing;
      return;
    }
    const { file, note, link } = await fitToUpload(this.options, { id: job.id, path: event.path, bytes: event.bytes, seconds: job.seconds }, ref.attachmentSizeLimit);
    const body = {
      content: deliveryText(job, note, link),
      nonce: deliveryNonce(job.id),
      // Discord returns the earlier message instead of posting a second one with the same nonce.
      enforce_nonce: true,
      allowed_mentions: { users: [job.requesterId] },
      // Each take's video carries its own Keep button (job-buttons.ts).
      ...(job.take && { components: jobButtons(job.id, ['keep']) }),
    };
    const request = file ? multipartMessage(body, `${job.id}.mp4`, 'video/mp4', await readFile(file.path)) : { body };
    const posted = messageSchema.parse(await this.rest.post(Routes.channelMessages(threadId), request));
    patch.deliveryMessageId = posted.id;
    this.options.logger.info({ job: job.id, attached: file !== undefined, bytes: file?.bytes ?? event.bytes }, 'video posted to Discord');
    await this.showStatus(job, ref, { stage: `done · ${formatUsd(job.priceMicros ?? job.estimateMicros)}`, progress: 100, position: undefined, note: 'The video is below.' }, ['remix', 'extend', 'retry'], true, patch).catch((error: unknown) =>
      this.options.logger.warn({ err: error, job: job.id }, 'could not mark the status message done'),
    );
    await this.editOriginal(job, ref, `Job \`${job.id}\` is done (${formatUsd(job.priceMicros ?? job.estimateMicros)}); the video is in the thread.`);
  }

  /** Looks for the bot's own delivery in the thread: the nonce only deduplicates for a few minutes, a restart can take longer. */
  private async findDelivery(job: JobRecord, threadId: string): Promise<string | undefined> {
    const raw = await this.rest.get(Routes.channelMessages(threadId), { query: new URLSearchParams({ limit: '50' }) });
    const bot = this.options.botUserId();
    const nonce = deliveryNonce(job.id);
    const found = messageListSchema.parse(raw).find(
      (m) => (bot === undefined || m.author?.id === bot) && (m.nonce === nonce || (m.content ?? '').includes(`your video is ready`) && (m.content ?? '').includes(`job \`${job.id}\``)),
    );
    return found?.id;
  }

  /** Edits the reply the thread hangs from, only while the interaction token lives. */
  private async editOriginal(job: JobRecord, ref: DiscordRef, content: string): Promise<void> {
    // The reply of a request with takes lists them all; one take's ending must not overwrite it.
    if (job.take) return;
    const memory = this.remember(job.id);
    if (memory.tokenDead || !tokenUsable(ref, this.options.clock)) return;
    try {
      await this.rest.patch(Routes.webhookMessage(ref.applicationId, ref.interactionToken, '@original'), {
        body: { content: clip(content) },
        auth: false,
      });
    } catch (error) {
      if (isDeadToken(error) || discordCode(error) === UNKNOWN_MESSAGE) {
        memory.tokenDead = isDeadToken(error) || memory.tokenDead;
        this.options.logger.info({ job: job.id, code: discordCode(error) }, 'original reply can no longer be edited');
        return;
      }
      this.options.logger.warn({ err: error, job: job.id }, 'editing the original reply failed');
    }
  }

  /** An ephemeral note to the requester while the token lives; afterwards a mention in the thread. */
  private async tellRequester(job: JobRecord, ref: DiscordRef, content: string): Promise<void> {
    const memory = this.remember(job.id);
    if (!memory.tokenDead && tokenUsable(ref, this.options.clock)) {
      try {
        await this.rest.post(Routes.webhook(ref.applicationId, ref.interactionToken), {
          body: { content: clip(content), flags: MessageFlags.Ephemeral },
          auth: false,
        });
        return;
      } catch (error) {
        if (!isDeadToken(error)) {
          this.options.logger.warn({ err: error, job: job.id }, 'ephemeral note failed; posting in the thread');
        } else memory.tokenDead = true;
      }
    }
    await this.rest.post(Routes.channelMessages(ref.threadId!), {
      body: { content: clip(`<@${job.requesterId}> ${content}`), allowed_mentions: { users: [job.requesterId] } },
    });
  }
}

/** Discord's markup in the requester's language, for the notes only they see. */
function readerOf(ref: DiscordRef): Markup {
  return inLocale(discordMarkdown, resolveLocale(ref.locale));
}
