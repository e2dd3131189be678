/**
 * A storyboard in Slack: a parent message in the channel (or, for an
 * extension, the original video's thread), one status message in the thread
 * with a line per shot and the total, then the joined video uploaded into the
 * thread. A shot that still fails leaves the shots that worked in the thread
 * with a "Retry shot N" button; "Shots" uploads the single shots on request.
 * The board's own message ids live under `board*` keys of its SurfaceRef,
 * because an extension's ref starts as a copy of the original job's.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import { formatUsd } from '../../core/money.js';
import { shotLineText } from '../../core/present-board.js';
import type { BoardEvent, BoardRecord, SurfaceRef } from '../../core/types.js';
import type { Logger } from '../../log.js';
import { escapeSlackText as escapeMrkdwn } from './slack-text.js';
import { uploadFileToThread } from './upload.js';

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

const button = (actionId: string, text: string, value: string, style?: 'primary') => ({
  type: 'button',
  action_id: actionId,
  text: { type: 'plain_text', text },
  value,
  ...(style && { style }),
});

function statusText(board: BoardRecord, event: BoardEvent): { text: string; buttons: object[] } {
  const what = board.kind === 'extension' ? `Extension of ${board.lead!.jobId}` : `Storyboard ${board.id}`;
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
        buttons: board.kind === 'extension' ? [] : [button(BOARD_ACTION.shots, 'Shots', board.id)],
      };
    case 'failed':
      return { text: `*${what}*: ${escapeMrkdwn(event.reason)}`, buttons: [button(BOARD_ACTION.shots, 'Shots', board.id)] };
  }
}

export function slackBoardView(client: webApi.WebClient, logger: Logger): (board: BoardRecord, event: BoardEvent) => Promise<Partial<SurfaceRef> | void> {
  const uploaded = new Map<string, string>();
  return async (board, event) => {
    const parsed = boardRefSchema.safeParse(board.surface);
    if (!parsed.success) return void logger.warn({ board: board.id }, 'slack storyboard without a channel; nothing to show');
    const ref = parsed.data;
    const patch: Record<string, string> = {};
    let threadTs = ref.boardParentTs ?? ref.parentTs;
    if (!threadTs) {
      const text = `<@${board.requesterId}> asked for a storyboard of ${board.shots.length} shots (${board.id}).`;
      threadTs = postedSchema.parse(await client.chat.postMessage({ channel: ref.channel, text })).ts;
      patch.boardParentTs = threadTs;
    }
    if (event.type === 'finished' && !ref.boardFileId && !uploaded.has(board.id)) {
      const fileId = await uploadFileToThread(client, {
        path: event.path,
        filename: `${board.id}.mp4`,
        title: `${board.id}: ${board.shots.length} shots`,
        channel: ref.channel,
        threadTs,
        comment: `<@${board.requesterId}>, your ${board.kind === 'extension' ? 'longer video' : 'storyboard'}: ${board.seconds}s, ${formatUsd(event.totalMicros)}.`,
      });
      uploaded.set(board.id, fileId);
      patch.boardFileId = fileId;
    }
    if (event.type === 'incomplete') {
      for (const shot of event.delivered) {
        await uploadFileToThread(client, { path: shot.path, filename: `${board.id}-shot-${shot.shot}.mp4`, title: `Shot ${shot.shot}`, channel: ref.channel, threadTs, comment: `Shot ${shot.shot} of ${board.id}` });
      }
    }
    const view = statusText(board, event);
    const message = { text: view.text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: view.text } }, ...(view.buttons.length > 0 ? [{ type: 'actions', elements: view.buttons }] : [])] };
    if (ref.boardStatusTs) await client.chat.update({ channel: ref.channel, ts: ref.boardStatusTs, ...message });
    else patch.boardStatusTs = postedSchema.parse(await client.chat.postMessage({ channel: ref.channel, thread_ts: threadTs, ...message })).ts;
    return Object.keys(patch).length > 0 ? patch : undefined;
  };
}

/** "Shots": the single shots uploaded into the board's thread. */
export async function uploadShots(client: webApi.WebClient, board: BoardRecord, shots: { shot: number; path: string }[]): Promise<void> {
  const ref = boardRefSchema.parse(board.surface);
  const threadTs = ref.boardParentTs ?? ref.parentTs;
  for (const shot of shots) {
    await uploadFileToThread(client, { path: shot.path, filename: `${board.id}-shot-${shot.shot}.mp4`, title: `Shot ${shot.shot}`, channel: ref.channel, threadTs: threadTs ?? '', comment: `Shot ${shot.shot} of ${board.id}` });
  }
}
