/**
 * Starting a job from an interaction (slash command, Retry button, Remix
 * modal) in the order Discord needs; the Studio's `launch` owns the order of
 * reserve → open → start and undoes the reservation when opening fails:
 *  1. local checks (permissions, options, budget) decide whether the answer is
 *     a public reply or an ephemeral refusal, before anything is sent;
 *  2. the acknowledgement (defer) goes out with no other REST call before it;
 *  3. the reply, the thread and the status message are posted (`openThread`),
 *     their ids go into the job's SurfaceRef, and only then does the job run.
 */
import { Routes, type ButtonInteraction, type ChatInputCommandInteraction, type Interaction, type ModalSubmitInteraction } from 'discord.js';
import { z } from 'zod';
import { UserFacingError } from '../../core/errors.js';
import { msg } from '../../core/messages.js';
import { describeAccepted } from '../../core/present.js';
import type { Accepted, OpenSurface } from '../../core/studio.js';
import type { JobRecord, SurfaceRef } from '../../core/types.js';
import { answerEphemeral, deferAnswer, markupFor, sentenceFor, type DiscordDeps } from './interaction-context.js';
import { JOB_IN_CHANNEL, JOB_IN_THREAD, missingPermissionSentence, missingPermissions } from './permissions.js';
import { clip, jobButtons, statusText, threadName } from './render.js';
import { DEFAULT_ATTACHMENT_LIMIT, parseDiscordRef, tokenExpiry, type DiscordRef } from './surface-ref.js';

export type JobInteraction = ChatInputCommandInteraction | ButtonInteraction | ModalSubmitInteraction;

const idSchema = z.object({ id: z.string() }).passthrough();

export interface LaunchOptions {
  /** Run the job in this existing thread (Retry, Remix) instead of opening one. */
  threadId?: string;
  /** The request does slow work (downloading an attached image): defer first, ephemerally. */
  slow?: boolean;
  /** Launches the job through the Studio (a command's run, a retry, a remix) with this surface and opener. */
  launch: (surface: SurfaceRef, openSurface: OpenSurface) => Promise<unknown>;
}

/**
 * A remix or retry joins the original's thread only when asked for from the
 * original's channel or from that thread. Asked for elsewhere (by someone who
 * can see the original), it opens its own thread where it was asked, so
 * nothing is posted into a channel the asker did not choose, and the new job's
 * place is where it was asked for.
 */
export function threadToJoin(original: JobRecord, interaction: Interaction): string | undefined {
  if (original.surface.platform !== 'discord') return undefined;
  const threadId = parseDiscordRef(original.surface).threadId;
  if (!threadId) return undefined;
  return interaction.channelId === threadId || (original.place !== undefined && interaction.channelId === original.place.id) ? threadId : undefined;
}

export async function launchJob(deps: DiscordDeps, interaction: JobInteraction, options: LaunchOptions): Promise<void> {
  const { logger } = deps;
  const inThread = options.threadId !== undefined || (interaction.channel?.isThread() ?? false);
  const threadId = options.threadId ?? (inThread ? interaction.channelId! : undefined);
  const missing = missingPermissions(interaction.appPermissions, inThread ? JOB_IN_THREAD : JOB_IN_CHANNEL);
  if (missing.length > 0) return answerEphemeral(interaction, missingPermissionSentence(missing), logger);

  const ref: DiscordRef = {
    platform: 'discord',
    guildId: interaction.guildId!,
    channelId: interaction.channelId!,
    applicationId: deps.applicationId,
    requesterId: interaction.user.id,
    threadId,
    interactionToken: interaction.token,
    tokenExpiresAt: tokenExpiry(deps.clock),
    attachmentSizeLimit: interaction.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT,
    locale: interaction.locale,
  } as DiscordRef;

  if (options.slow) await deferAnswer(deps, interaction, true);
  const open: OpenSurface = Object.assign((accepted: Accepted) => openThread(deps, interaction, ref, options.slow === true, accepted), {
    // When the core already knows the request will pass, the public defer goes before the acceptance (core/budget-forecast.ts).
    ...(!options.slow && { acknowledge: () => deferAnswer(deps, interaction) }),
  });
  try {
    await options.launch(ref as SurfaceRef, open);
  } catch (error) {
    // A refusal or failure after the public answer: the channel keeps no trace of the request. An unfilled
    // placeholder is withdrawn by answerEphemeral itself; a reply that already shows the summary goes here.
    const shownPublicly = interaction.deferred && !interaction.ephemeral && interaction.replied;
    await answerEphemeral(interaction, sentenceFor(error, logger, { interaction: interaction.id }, markupFor(interaction)), logger);
    if (shownPublicly) {
      await interaction.deleteReply().catch((e: unknown) => logger.warn({ err: e, interaction: interaction.id }, 'could not remove the public reply of a refused request'));
    }
  }
}

/** The public acknowledgement, the job's thread and its status message; their ids, for the job's SurfaceRef. */
async function openThread(deps: DiscordDeps, interaction: JobInteraction, ref: DiscordRef, slow: boolean, accepted: Accepted): Promise<Partial<SurfaceRef>[]> {
  const { logger, studio, rest } = deps;
  const { job } = accepted;
  const threadId = ref.threadId;
  try {
    // The public defer on its own; what follows waits its turn behind other interactions' defers (after-ack.ts).
    if (!slow && !interaction.deferred) await deferAnswer(deps, interaction);
    return await deps.afterAck.run(async () => {
      const summary = clip(`<@${interaction.user.id}> ${describeAccepted({ kind: 'accepted', accepted }, markupFor(interaction))}`);
      let anchorId: string;
      if (slow) {
        // The ephemeral defer cannot become public: confirm privately and post the public message with the bot token.
        await interaction.editReply({ content: `Job \`${job.id}\` accepted; follow it in the thread.` });
        anchorId = idSchema.parse(
          await rest.post(Routes.channelMessages(threadId ?? ref.channelId), { body: { content: summary, allowed_mentions: { parse: [] } } }),
        ).id;
        // The token's replies are ephemeral here: keep it only for ephemeral notes.
      } else {
        anchorId = (await interaction.editReply({ content: summary, allowedMentions: { parse: [] } })).id;
      }
      let thread = threadId;
      if (!thread) {
        thread = idSchema.parse(
          await rest.post(Routes.threads(ref.channelId, anchorId), { body: { name: threadName(job), auto_archive_duration: 1440 } }),
        ).id;
      }
      // One status message per take (one for a single video), each edited in place by the surface.
      const patches: Partial<SurfaceRef>[] = [];
      for (const take of accepted.takes ?? [job]) {
        const status = idSchema.parse(
          await rest.post(Routes.channelMessages(thread), {
            body: {
              content: statusText(take, { stage: 'queued', progress: undefined, position: studio.queuePosition(take.id) }),
              components: jobButtons(take.id, ['cancel']),
              allowed_mentions: { parse: [] },
            },
          }),
        );
        patches.push({ threadId: thread, statusMessageId: status.id, replyMessageId: anchorId });
      }
      return patches;
    });
  } catch (error) {
    // The Studio cancels the job and releases its budget; the person learns why in a sentence.
    if (error instanceof UserFacingError) throw error;
    logger.error({ err: error, job: job.id }, 'could not open the thread for a job; it is cancelled');
    throw new UserFacingError(msg('thread.discord', { jobId: job.id }), { code: 'no_thread' });
  }
}
