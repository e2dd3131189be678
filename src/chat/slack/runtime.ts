/**
 * What every Slack listener shares: the Studio, the Web API client, member
 * lookups, and the two things most of them end with: opening a job's thread,
 * and telling one person privately what went wrong.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import { CommandInputError } from '../../command-line/options.js';
import { UserFacingError } from '../../core/errors.js';
import type { Markup } from '../../core/markup.js';
import { msg, render } from '../../core/messages.js';
import type { OpenSurface, Studio } from '../../core/studio.js';
import type { SurfaceRef } from '../../core/types.js';
import type { Logger } from '../../log.js';
import type { AfterAckGate } from '../after-ack.js';
import { parentMessageForAccepted, statusMessage, statusView } from './blocks.js';
import { jobMetadata, PARENT_EVENT, STATUS_EVENT } from './job-messages.js';
import type { SlackMembers } from './members.js';
import type { SlackPlaceAccess } from './place-access.js';
import type { SharedFileOptions } from './shared-files.js';
import { escapeSlackText } from './slack-text.js';
import { slackErrorCode, type SlackSurface } from './surface.js';

export interface SlackRuntime {
  studio: Studio;
  client: webApi.WebClient;
  members: SlackMembers;
  /** Who sees which conversation's jobs (place-access.ts). */
  places: SlackPlaceAccess;
  surface: SlackSurface;
  logger: Logger;
  sharedFiles: SharedFileOptions;
  /** What runs after a command's ack (after-ack.ts). */
  afterAck: AfterAckGate;
}

const postedSchema = z.object({ ts: z.string().min(1) });

/**
 * A job's place on Slack (the Studio's `launch` calls this between reserving
 * and starting): the parent message and the status message in its thread.
 * Slash commands cannot be used inside threads, so the bot opens the thread
 * itself. When Slack refuses the post this throws the sentence to show, and
 * the Studio cancels the job so its reserved budget goes back at once.
 */
export function jobThreadOpener(rt: SlackRuntime, channel: string, m: Markup): OpenSurface {
  return async (accepted) => {
    const job = accepted.job;
    try {
      // Both carry the job id, so a process killed before the job starts finds them again (job-messages.ts).
      const parentTs = postedSchema.parse(await rt.client.chat.postMessage({ channel, ...parentMessageForAccepted(accepted, m), metadata: jobMetadata(PARENT_EVENT, job.id) })).ts;
      // One status message per take (one for a single video), all in the one thread.
      const patches: Partial<SurfaceRef>[] = [];
      for (const take of accepted.takes ?? [job]) {
        const status = statusMessage(take, statusView(take, undefined, accepted.backendName));
        const statusTs = postedSchema.parse(await rt.client.chat.postMessage({ channel, thread_ts: parentTs, ...status, metadata: jobMetadata(STATUS_EVENT, take.id) })).ts;
        patches.push({ parentTs, statusTs });
      }
      return patches;
    } catch (error) {
      rt.logger.warn({ err: error, job: job.id, channel }, 'could not open the slack thread for a job');
      const code = slackErrorCode(error);
      const notIn = code === 'not_in_channel' || code === 'channel_not_found' || code === 'is_archived';
      throw new UserFacingError(msg(notIn ? 'thread.slack_not_in_channel' : 'thread.slack_refused'), { code: 'no_thread' });
    }
  };
}

/** The sentence a person sees for an error, in their language (`members.markup`); internals go to the log only. */
export function userMessageFor(error: unknown, logger: Logger, context: Record<string, unknown>, m: Markup): string {
  // Refusals often echo what the member typed (a name, a value): escaped, it cannot become a link or a ping.
  if (error instanceof CommandInputError) return escapeSlackText(`${error.userMessage}${error.usage ? `\nUsage:\n\`\`\`${error.usage}\`\`\`` : ''}`);
  if (error instanceof UserFacingError) return escapeSlackText(error.sentence(m));
  logger.error({ err: error, ...context }, 'slack request failed');
  return render(msg('internal'), m);
}

/** Private note to one member, in the thread when there is one (block actions have no reliable response_url). */
export async function tellPrivately(rt: SlackRuntime, where: { channel: string; user: string; threadTs?: string }, text: string): Promise<void> {
  try {
    await rt.client.chat.postEphemeral({ channel: where.channel, user: where.user, text, ...(where.threadTs ? { thread_ts: where.threadTs } : {}) });
  } catch (error) {
    rt.logger.warn({ err: error, channel: where.channel }, 'could not post an ephemeral message');
  }
}
