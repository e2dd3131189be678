/**
 * A video an earlier attempt may have posted. Slack's file upload
 * (files.getUploadURLExternal + files.completeUploadExternal) has no
 * idempotency key, so a process that died after Slack took the upload but
 * before the bot recorded it, or a replica taken for dead while it was still
 * uploading, leaves a post the next attempt cannot know of. The attempt about
 * to post marks the job right before files.completeUploadExternal (`beforePost`
 * on `finished`, a fencing compare-and-set in the core), and a later attempt
 * that finds the mark (`earlierAttemptAt`) looks for that post, by its file
 * name, among the files shared in the
 * channel since that attempt (https://api.slack.com/methods/files.list with
 * `channel` and `ts_from`). A first delivery posts with no look.
 * conversations.replies would read the thread itself, but apps distributed
 * outside the Marketplace may call it once a minute
 * (https://api.slack.com/methods/conversations.replies), too slow for a
 * takeover of many jobs at once.
 *
 * Slack shares a completed upload into the channel a moment after
 * completeUploadExternal answers: while the mark is recent, nothing found
 * means "not yet", and the channel is read again until UPLOAD_SETTLE_MS after it.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log.js';

/**
 * How long after an attempt's mark its post may still appear: Slack's share delay (seconds) and a
 * replica slowed between marking and posting. Past it, nothing found means nothing posted.
 */
export const UPLOAD_SETTLE_MS = 30_000;
/** The first wait between two looks; each next one doubles, up to the window's end. */
const FIRST_WAIT_MS = 1_000;
/** Pages read per look (100 files each, newest first): files shared in one channel since one attempt began. */
const PAGES = 5;
/** How far Slack's clock may be behind the bot's when `ts_from` is set from the bot's. */
const SKEW_SECONDS = 300;

const filesListSchema = z.object({
  files: z.array(z.object({ id: z.string().min(1), name: z.string().optional() })).default([]),
  paging: z.object({ page: z.number().int().optional(), pages: z.number().int().optional() }).optional(),
});

export interface EarlierUpload {
  channel: string;
  filename: string;
  /** When the earlier attempt was about to post (its mark), by the same clock. */
  earlierAttemptAt: number;
  /** For the logs: the job or board. */
  subject: Record<string, string>;
}

/** The id of `filename` shared in the channel, waiting out the window in which an earlier upload may still appear. */
export async function findEarlierUpload(client: webApi.WebClient, clock: Clock, logger: Logger, look: EarlierUpload): Promise<string | undefined> {
  let wait = FIRST_WAIT_MS;
  for (;;) {
    const found = await inChannel(client, look).catch((error: unknown) => {
      logger.warn({ err: error, ...look.subject }, "could not list the channel's files for an earlier upload");
      return undefined;
    });
    if (found) {
      logger.info({ ...look.subject, file: found }, 'video already in the slack thread; not uploading again');
      return found;
    }
    const left = look.earlierAttemptAt + UPLOAD_SETTLE_MS - clock.now();
    if (left <= 0) return undefined;
    await clock.sleep(Math.min(wait, left));
    wait *= 2;
  }
}

async function inChannel(client: webApi.WebClient, look: EarlierUpload): Promise<string | undefined> {
  const tsFrom = String(Math.floor(look.earlierAttemptAt / 1000) - SKEW_SECONDS);
  for (let page = 1; page <= PAGES; page++) {
    const listed = filesListSchema.parse(await client.files.list({ channel: look.channel, ts_from: tsFrom, count: 100, page }));
    const file = listed.files.find((f) => f.name === look.filename);
    if (file) return file.id;
    if (page >= (listed.paging?.pages ?? 1)) return undefined;
  }
  return undefined;
}
