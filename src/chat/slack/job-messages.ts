/**
 * A job's thread survives a crash between posting and recording. Slack's
 * chat.postMessage has no idempotency key, so each message the bot opens a
 * thread with carries the job id in its message metadata
 * (https://api.slack.com/metadata/using), and a process that finds a job
 * without a recorded `parentTs` first looks for that message in the channel's
 * history (https://api.slack.com/methods/conversations.history, with
 * `include_all_metadata`) before it posts one. The job record, written before
 * the post, is the intent; the metadata is how the post is found again.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { JobRecord } from '../../core/types.js';
import type { Logger } from '../../log.js';

export const PARENT_EVENT = 'sora_video_job';
export const STATUS_EVENT = 'sora_video_job_status';
/** A storyboard's parent and status messages, found again the same way (board-surface.ts). */
export const BOARD_EVENTS = { parent: 'sora_storyboard', status: 'sora_storyboard_status' } as const;
const JOB_EVENTS = { parent: PARENT_EVENT, status: STATUS_EVENT };

export function jobMetadata(event: typeof PARENT_EVENT | typeof STATUS_EVENT, jobId: string): { event_type: string; event_payload: { job_id: string } } {
  return { event_type: event, event_payload: { job_id: jobId } };
}

export function boardMetadata(event: (typeof BOARD_EVENTS)[keyof typeof BOARD_EVENTS], boardId: string): { event_type: string; event_payload: { board_id: string } } {
  return { event_type: event, event_payload: { board_id: boardId } };
}

const messagesSchema = z.object({
  messages: z
    .array(
      z.object({
        ts: z.string().min(1),
        metadata: z.object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()).optional() }).optional(),
      }),
    )
    .default([]),
  has_more: z.boolean().optional(),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});

/** How far back before the job's creation a parent can be (clock skew between the bot and Slack). */
const SKEW_SECONDS = 300;
const PAGES = 5;

const matches = (event: string, id: string) => (m: z.infer<typeof messagesSchema>['messages'][number]) =>
  m.metadata?.event_type === event && (m.metadata.event_payload?.job_id ?? m.metadata.event_payload?.board_id) === id;

/**
 * The thread an earlier process opened for this job, if Slack has it.
 * Undefined when none was posted, or when the lookup failed (logged; the
 * caller then posts, as before this check existed).
 */
export async function findJobThread(
  client: webApi.WebClient,
  channel: string,
  job: Pick<JobRecord, 'id' | 'createdAt'>,
  logger: Logger,
  events: { parent: string; status: string } = JOB_EVENTS,
): Promise<{ parentTs: string; statusTs: string | undefined } | undefined> {
  try {
    let cursor: string | undefined;
    let parentTs: string | undefined;
    for (let page = 0; page < PAGES && !parentTs; page++) {
      const listed = messagesSchema.parse(
        await client.conversations.history({
          channel,
          oldest: String(Math.floor(job.createdAt / 1000) - SKEW_SECONDS),
          limit: 200,
          include_all_metadata: true,
          ...(cursor ? { cursor } : {}),
        }),
      );
      parentTs = listed.messages.find(matches(events.parent, job.id))?.ts;
      cursor = listed.response_metadata?.next_cursor;
      if (!listed.has_more || !cursor) break;
    }
    if (!parentTs) return undefined;
    const statusTs = await findInThread(client, channel, parentTs, events.status, job.id);
    logger.info({ job: job.id, parentTs, statusTs }, 'found the thread an earlier process opened for this job');
    return { parentTs, statusTs };
  } catch (error) {
    logger.warn({ err: error, job: job.id, channel }, 'could not look for an earlier thread of this job; opening one');
    return undefined;
  }
}

/** The message of `event` for `id` in a thread (a board's status in the thread of the video it extends). */
export async function findInThread(client: webApi.WebClient, channel: string, threadTs: string, event: string, id: string): Promise<string | undefined> {
  const replies = messagesSchema.parse(await client.conversations.replies({ channel, ts: threadTs, limit: 200, include_all_metadata: true }));
  return replies.messages.find((m) => m.ts !== threadTs && matches(event, id)(m))?.ts;
}
