/**
 * A storyboard in Slack: a parent message in the channel (or, for an
 * extension, the original video's thread), one status message in the thread
 * with a line per shot and the total, then the joined video uploaded into the
 * thread. A shot that still fails leaves the shots that worked in the thread
 * with a "Retry shot N" button; "Shots" uploads the single shots on request;
 * "Extend" (the job's Extend action, with the board id) continues the video.
 * The board's own message ids live under `board*` keys of its SurfaceRef,
 * because an extension's ref starts as a copy of the original job's. Each
 * message carries the board id in its metadata and the joined file its
 * name, so a repeated event, or a process that stopped before recording
 * what it posted, finds them instead of posting them twice.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import { formatUsd } from '../../core/money.js';
import { boardAwaitingText, boardDecisionNotice, boardDeniedText, shotLineText } from '../../core/present-board.js';
import { chatMarkdown } from '../../core/present.js';
import type { BoardEvent, BoardRecord, SurfaceRef } from '../../core/types.js';
import type { Logger } from '../../log.js';
import { escapeSlackText as escapeMrkdwn } from './slack-text.js';
import { ACTION } from './blocks.js';
import { boardMetadata, BOARD_EVENTS, findInThread, findJobThread } from './job-messages.js';
import { uploadFileToThread } from './upload.js';
import { findEarlierUpload } from './earlier-upload.js';
import type { Clock } from '../../core/clock.js';

export const BOARD_ACTION = { retryShot: 'sora_board_retry_shot', shots: 'sora_board_shots' } as const;

const boardRefSchema = z
  .object({
    team: z.string().min(1),
    channel: z.string().min(1),
    /** An extension posts in the original video's thread. */
    parentTs: z.string().min(1).optional(),
    boardParentTs: z.string().min(1).optional(),
    boardStatusTs: z.string().min(1).optional(),
    boardFileId: z.string().min(1).optional(),
  })
  .passthrough();
const postedSchema = z.object({ ts: z.string().min(1) });

const button = (actionId: string, text: string, value: string, style?: 'primary' | 'danger') => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text },
  value,
  ...(style && { style }),
});

function statusText(board: BoardRecord, event: BoardEvent): { text: string; buttons: object[] } {
  const what = board.kind === 'extension' ? `Extension ${board.id} of ${board.lead!.jobId}` : `Storyboard ${board.id}`;
  switch (event.type) {
    case 'status':
      return { text: [`*${what}*${board.continuous ? ' (shots in turn)' : ''}`, ...event.lines.map(shotLineText), `Total: ${formatUsd(event.totalMicros)}`].join('\n'), buttons: [] };
    case 'incomplete': {
      const failed = event.lines.filter((l) => l.status === 'failed');
      return {
        text: [`*${what}*`, ...event.lines.map(shotLineText), escapeMrkdwn(event.reason)].join('\n'),
        buttons: failed.map((l) => button(BOARD_ACTION.retryShot, `Retry shot ${l.shot}`, `${board.id}-${l.shot}`, 'primary')),
      };
    }
    case 'finished':
      return {
        text: [`*${what}*: done, ${board.seconds}s for ${formatUsd(event.totalMicros)}`, ...event.lines.map(shotLineText)].join('\n'),
        buttons: [button(ACTION.extend, 'Extend', board.id), ...(board.kind === 'extension' ? [] : [button(BOARD_ACTION.shots, 'Shots', board.id)])],
      };
    case 'failed':
      return { text: `*${what}*: ${escapeMrkdwn(event.reason)}`, buttons: [button(BOARD_ACTION.shots, 'Shots', board.id)] };
    case 'awaiting-approval':
      // The job's Approve and Deny actions, with the board id as value (decide-job.ts tells the two apart).
      return {
        text: [`*${what}*: ${boardAwaitingText(board, event, chatMarkdown)}`, ...event.lines.map(shotLineText), `Total: ${formatUsd(event.totalMicros)}`].join('\n'),
        buttons: [button(ACTION.approve, 'Approve', board.id, 'primary'), button(ACTION.deny, 'Deny', board.id, 'danger')],
      };
    case 'approved':
      return { text: `*${what}*: approved by ${escapeMrkdwn(event.byName)}; the shots start now.`, buttons: [] };
    case 'denied':
      return { text: `*${what}*: ${escapeMrkdwn(boardDeniedText(event))}`, buttons: [] };
  }
}

export function slackBoardView(client: webApi.WebClient, clock: Clock, logger: Logger): (board: BoardRecord, event: BoardEvent) => Promise<Partial<SurfaceRef> | void> {
  /** What this process posted per board, in case the stored ref is a step behind (its patch not saved yet). */
  const posted = new Map<string, { parentTs?: string; statusTs?: string; fileId?: string }>();
  return async (board, event) => {
    const parsed = boardRefSchema.safeParse(board.surface);
    if (!parsed.success) return void logger.warn({ board: board.id }, 'slack storyboard without a channel; nothing to show');
    const ref = parsed.data;
    const mine = posted.get(board.id) ?? {};
    posted.set(board.id, mine);
    const patch: Record<string, string> = {};
    let threadTs = ref.boardParentTs ?? mine.parentTs ?? ref.parentTs;
    let statusTs = ref.boardStatusTs ?? mine.statusTs;
    if (!threadTs) {
      // chat.postMessage has no idempotency key: a parent posted by a process that stopped before
      // recording it carries the board id in its metadata, and is found instead of posted again.
      const found = await findJobThread(client, ref.channel, board, logger, BOARD_EVENTS);
      const text = `<@${board.requesterId}> asked for a storyboard of ${board.shots.length} shots (${board.id}).`;
      threadTs = found?.parentTs ?? postedSchema.parse(await client.chat.postMessage({ channel: ref.channel, text, metadata: boardMetadata(BOARD_EVENTS.parent, board.id) })).ts;
      statusTs ??= found?.statusTs;
      patch.boardParentTs = mine.parentTs = threadTs;
    } else if (!statusTs) {
      statusTs = await findInThread(client, ref.channel, threadTs, BOARD_EVENTS.status, board.id).catch((error: unknown) => void logger.warn({ err: error, board: board.id }, 'could not look for an earlier storyboard status'));
    }
    if (event.type === 'finished') {
      const known = ref.boardFileId ?? mine.fileId;
      // Only a delivery the core marked as attempted before may be in the thread already (earlier-upload.ts).
      const fileId =
        known ??
        (event.earlierAttemptAt === undefined
          ? undefined
          : await findEarlierUpload(client, clock, logger, { channel: ref.channel, filename: joinedFileName(board), earlierAttemptAt: event.earlierAttemptAt, subject: { board: board.id } }));
      patch.boardFileId = mine.fileId =
        fileId ??
        (await uploadFileToThread(client, {
          path: event.path,
          filename: joinedFileName(board),
          title: `${board.id}: ${board.shots.length} shots`,
          channel: ref.channel,
          threadTs,
          comment: `<@${board.requesterId}>, your ${board.kind === 'extension' ? 'longer video' : 'storyboard'}: ${board.seconds}s, ${formatUsd(event.totalMicros)}.`,
        }));
    }
    if (event.type === 'approved' || event.type === 'denied') {
      // The requester hears the decision and who made it, in the board's thread.
      await client.chat.postMessage({ channel: ref.channel, thread_ts: threadTs, text: `<@${board.requesterId}>: ${escapeMrkdwn(boardDecisionNotice(board, event, chatMarkdown))}` });
    }
    if (event.type === 'incomplete') {
      for (const shot of event.delivered) {
        await uploadFileToThread(client, { path: shot.path, filename: `${board.id}-shot-${shot.shot}.mp4`, title: `Shot ${shot.shot}`, channel: ref.channel, threadTs, comment: `Shot ${shot.shot} of ${board.id}` });
      }
    }
    const view = statusText(board, event);
    const message = { text: view.text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: view.text } }, ...(view.buttons.length > 0 ? [{ type: 'actions', elements: view.buttons }] : [])] };
    if (statusTs) await client.chat.update({ channel: ref.channel, ts: statusTs, ...message });
    else statusTs = postedSchema.parse(await client.chat.postMessage({ channel: ref.channel, thread_ts: threadTs, ...message, metadata: boardMetadata(BOARD_EVENTS.status, board.id) })).ts;
    if (statusTs !== ref.boardStatusTs) patch.boardStatusTs = mine.statusTs = statusTs;
    return Object.keys(patch).length > 0 ? patch : undefined;
  };
}

/** The ref an extension of this board starts with: the board's thread, none of its own message or file ids. */
export function threadOfBoard(ref: SurfaceRef): SurfaceRef {
  const { boardParentTs, boardStatusTs: _s, boardFileId: _f, ...rest } = ref;
  return { ...rest, ...(typeof boardParentTs === 'string' && { parentTs: boardParentTs }) } as SurfaceRef;
}

const joinedFileName = (board: BoardRecord) => `${board.id}.mp4`;
/** "Shots": the single shots uploaded into the board's thread. */
export async function uploadShots(client: webApi.WebClient, board: BoardRecord, shots: { shot: number; path: string }[]): Promise<void> {
  const ref = boardRefSchema.parse(board.surface);
  const threadTs = ref.boardParentTs ?? ref.parentTs;
  for (const shot of shots) {
    await uploadFileToThread(client, { path: shot.path, filename: `${board.id}-shot-${shot.shot}.mp4`, title: `Shot ${shot.shot}`, channel: ref.channel, threadTs: threadTs ?? '', comment: `Shot ${shot.shot} of ${board.id}` });
  }
}
