/**
 * The Slack surface: a job's life shown in its thread. The thread's channel,
 * parent `ts` and status message `ts` live in the job's SurfaceRef, which the
 * core persists, so a restarted process keeps editing the same message and
 * uploads into the same thread.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Surface } from '../../core/ports.js';
import type { Studio } from '../../core/studio.js';
import type { JobEvent, JobRecord, SurfaceRef } from '../../core/types.js';
import type { Logger } from '../../log.js';
import { parentMessage, statusMessage, statusView } from './blocks.js';
import { findJobThread, jobMetadata, PARENT_EVENT, STATUS_EVENT } from './job-messages.js';
import { uploadFileToThread } from './upload.js';
import { findEarlierUpload } from './earlier-upload.js';
import { escapeSlackText } from './slack-text.js';
import { slackBoardView, threadOfBoard } from './board-surface.js';
import { formatUsd } from '../../core/money.js';
import { describeDelivered, elapsedProgress } from '../../core/present.js';
import { takeLabel } from '../../core/takes.js';

export const SLACK_PLATFORM = 'slack';

export const slackRefSchema = z
  .object({
    platform: z.literal(SLACK_PLATFORM),
    team: z.string().min(1),
    channel: z.string().min(1),
    parentTs: z.string().min(1).optional(),
    statusTs: z.string().min(1).optional(),
    /** Set once the video is in the thread: a repeated `finished` uploads nothing. */
    fileId: z.string().min(1).optional(),
  })
  .passthrough();
export type SlackRef = z.infer<typeof slackRefSchema>;

export function slackRef(team: string, channel: string): SurfaceRef {
  return { platform: SLACK_PLATFORM, team, channel };
}

const postedSchema = z.object({ ts: z.string().min(1) });

export function videoFileName(jobId: string): string {
  return `${jobId}.mp4`;
}

export class SlackSurface implements Surface {
  readonly platform = SLACK_PLATFORM;
  /**
   * Slack allows about one message per second per channel and chat.update is
   * Tier 3 (~50/min per workspace); a bar every 3 s keeps many parallel jobs
   * well inside both.
   */
  readonly progressIntervalMs = 3_000;
  private readonly lastShown = new Map<string, string>();
  private readonly uploaded = new Map<string, string>();

  /** Storyboards and extensions (board-surface.ts). */
  readonly updateBoard: NonNullable<Surface['updateBoard']>;

  constructor(
    private readonly client: webApi.WebClient,
    private readonly studio: Studio,
    private readonly logger: Logger,
  ) {
    this.updateBoard = slackBoardView(client, studio.clock, logger);
  }

  threadOfBoard(ref: SurfaceRef): SurfaceRef {
    return threadOfBoard(ref);
  }

  /** An 80% warning in the channel `/settings alerts` named (https://api.slack.com/methods/chat.postMessage). */
  async postAlert(_tenant: string, channelId: string, text: string): Promise<void> {
    await this.client.chat.postMessage({ channel: channelId, text: escapeSlackText(text) });
  }

  private backendName(job: JobRecord): string {
    return this.studio.backend(job.backend)?.capabilities.displayName ?? job.backend;
  }

  /** The core's notifier hands over one job's events one at a time: a cancel never races the progress edit it replaces. */
  async update(job: JobRecord, event: JobEvent): Promise<Partial<SurfaceRef> | void> {
    const parsed = slackRefSchema.safeParse(job.surface);
    if (!parsed.success) {
      this.logger.warn({ job: job.id }, 'slack job without a channel; nothing to update');
      return;
    }
    const ref = parsed.data;
    const patch: Partial<SlackRef> = {};
    let parentTs = ref.parentTs;
    let statusTs = ref.statusTs;
    if (!parentTs) {
      // A job cancelled before its thread existed was answered privately already.
      if (event.type === 'cancelled') return;
      // The process stopped between accepting the job and recording its thread. It may have
      // posted the thread already (killed before `startJob`): look before posting a second one.
      const found = await findJobThread(this.client, ref.channel, job, this.logger);
      if (found) {
        parentTs = found.parentTs;
        statusTs = found.statusTs;
        if (statusTs) patch.statusTs = statusTs;
      } else {
        const parent = parentMessage(job, this.backendName(job), undefined);
        parentTs = postedSchema.parse(await this.client.chat.postMessage({ channel: ref.channel, ...parent, metadata: jobMetadata(PARENT_EVENT, job.id) })).ts;
      }
      patch.parentTs = parentTs;
    }
    const elapsed = event.type === 'progress' ? elapsedProgress(job, event.progress, this.studio.backend(job.backend)?.capabilities, this.studio.clock.now()) : undefined;
    const view = statusView(job, event, this.backendName(job), elapsed);
    const message = statusMessage(job, view);
    if (event.type === 'finished') {
      // Only a delivery an earlier attempt marked as about to post may be in the thread already (earlier-upload.ts).
      const known = ref.fileId ?? this.uploaded.get(job.id);
      const fileId =
        known ??
        (event.earlierAttemptAt === undefined
          ? undefined
          : await findEarlierUpload(this.client, this.studio.clock, this.logger, { channel: ref.channel, filename: videoFileName(job.id), earlierAttemptAt: event.earlierAttemptAt, subject: { job: job.id } }));
      if (fileId) {
        if (!ref.fileId) patch.fileId = fileId;
      } else {
        const uploadedId = await uploadFileToThread(this.client, {
          path: event.path,
          filename: videoFileName(job.id),
          title: job.input.prompt.slice(0, 200),
          channel: ref.channel,
          threadTs: parentTs,
          beforeComplete: event.beforePost,
          comment: `<@${job.requesterId}>, your video${job.take ? ` (${takeLabel(job).toLowerCase()})` : ''}: ${job.seconds}s, ${describeDelivered(job)}, on ${this.backendName(job)}, ${formatUsd(job.priceMicros ?? job.estimateMicros)}.`,
        });
        this.uploaded.set(job.id, uploadedId);
        patch.fileId = uploadedId;
      }
    }
    const shown = JSON.stringify(message);
    if (statusTs && this.lastShown.get(job.id) === shown) return Object.keys(patch).length > 0 ? patch : undefined;
    if (statusTs) {
      try {
        await this.client.chat.update({ channel: ref.channel, ts: statusTs, ...message });
      } catch (error) {
        // Someone deleted the status message: post a fresh one rather than go silent.
        if (slackErrorCode(error) !== 'message_not_found') throw error;
        statusTs = undefined;
      }
    }
    if (!statusTs) {
      statusTs = postedSchema.parse(
        await this.client.chat.postMessage({ channel: ref.channel, thread_ts: parentTs, ...message, metadata: jobMetadata(STATUS_EVENT, job.id) }),
      ).ts;
      patch.statusTs = statusTs;
    }
    if (view.final) {
      // Nothing more will be shown for this job; a repeated `finished` finds its upload in the stored ref or the thread.
      this.lastShown.delete(job.id);
      this.uploaded.delete(job.id);
    } else this.lastShown.set(job.id, shown);
    return Object.keys(patch).length > 0 ? patch : undefined;
  }
}

/** The `error` code of a Web API platform error (`not_in_channel`, `message_not_found`…). */
export function slackErrorCode(error: unknown): string | undefined {
  const data = (error as { data?: { error?: unknown } } | undefined)?.data;
  return typeof data?.error === 'string' ? data.error : undefined;
}
