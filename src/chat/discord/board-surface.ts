/**
 * A storyboard on Discord: its own thread (hanging from a message in the
 * channel, as a single job's does), or for an extension the original video's
 * thread; ONE status message there, edited in place, with a line per shot and
 * the total; then the joined video uploaded into the thread, sized as single
 * videos are (fit-upload.ts). A shot that still fails leaves the shots that
 * worked in the thread with a "Retry shot N" button; "Shots" uploads the
 * single shots on request. The board's message ids live under `board*` keys
 * of its SurfaceRef, because an extension's ref starts as a copy of the
 * original job's (whose statusMessageId is the original's).
 */
import { readFile, stat } from 'node:fs/promises';
import { ButtonStyle, ComponentType, Routes, type REST } from 'discord.js';
import { z } from 'zod';
import { formatUsd } from '../../core/money.js';
import { shotLineText } from '../../core/present-board.js';
import type { BoardEvent, BoardRecord, SurfaceRef } from '../../core/types.js';
import type { Logger } from '../../log.js';
import type { BotMediaStore } from '../../media/media-store.js';
import { discordCode, UNKNOWN_MESSAGE } from './api-errors.js';
import { boardRetryCustomId, boardShotsCustomId } from './custom-ids.js';
import { fitToUpload, multipartMessage } from './fit-upload.js';
import { clip } from './render.js';
import { discordRefSchema } from './surface-ref.js';

const snowflake = z.string().regex(/^\d{5,25}$/);
const boardRefSchema = discordRefSchema.extend({
  boardThreadId: snowflake.optional(),
  boardAnchorId: snowflake.optional(),
  boardStatusMessageId: snowflake.optional(),
  boardDeliveryMessageId: snowflake.optional(),
}).passthrough();
type BoardRef = z.infer<typeof boardRefSchema>;
const idSchema = z.object({ id: z.string() }).passthrough();

export interface DiscordBoardDeps {
  rest: REST;
  logger: Logger;
  media: BotMediaStore;
}

const button = (customId: string, label: string, style: ButtonStyle) => ({ type: ComponentType.Button, custom_id: customId, label, style });
const row = (buttons: object[]) => (buttons.length > 0 ? [{ type: ComponentType.ActionRow, components: buttons }] : []);

function statusBody(board: BoardRecord, event: BoardEvent): { content: string; components: object[] } {
  const what = board.kind === 'extension' ? `Extension of \`${board.lead!.jobId}\`` : `Storyboard \`${board.id}\``;
  const lines = 'lines' in event ? event.lines.map(shotLineText) : [];
  switch (event.type) {
    case 'status':
      return { content: [`**${what}**${board.continuous ? ' (shots in turn)' : ''}`, ...lines, `Total: ${formatUsd(event.totalMicros)}`].join('\n'), components: [] };
    case 'incomplete': {
      const failed = event.lines.filter((l) => l.status === 'failed');
      return {
        content: [`**${what}**`, ...lines, event.reason].join('\n'),
        components: row(failed.slice(0, 5).map((l) => button(boardRetryCustomId(board.id, l.shot), `Retry shot ${l.shot}`, ButtonStyle.Primary))),
      };
    }
    case 'finished':
      return {
        content: [`**${what}**: done, ${board.seconds}s for ${formatUsd(event.totalMicros)}`, ...lines].join('\n'),
        components: board.kind === 'extension' ? [] : row([button(boardShotsCustomId(board.id), 'Shots', ButtonStyle.Secondary)]),
      };
    case 'failed':
      return { content: `**${what}**: ${event.reason}`, components: row([button(boardShotsCustomId(board.id), 'Shots', ButtonStyle.Secondary)]) };
  }
}

export function discordBoardView(deps: DiscordBoardDeps): (board: BoardRecord, event: BoardEvent) => Promise<Partial<SurfaceRef> | void> {
  const { rest } = deps;
  /** Deliveries made by this process, in case the stored ref is a step behind. */
  const delivered = new Set<string>();
  return async (board, event) => {
    const parsed = boardRefSchema.safeParse(board.surface);
    if (!parsed.success) return void deps.logger.warn({ board: board.id }, 'discord storyboard without a channel; nothing to show');
    const ref = parsed.data;
    const patch: Partial<BoardRef> = {};
    let threadId = ref.boardThreadId ?? ref.threadId;
    if (!threadId) {
      const anchor = idSchema.parse(
        await rest.post(Routes.channelMessages(ref.channelId), {
          body: { content: clip(`<@${board.requesterId}> asked for a storyboard of ${board.shots.length} shots (\`${board.id}\`).`), allowed_mentions: { parse: [] } },
        }),
      );
      threadId = idSchema.parse(await rest.post(Routes.threads(ref.channelId, anchor.id), { body: { name: `Storyboard ${board.id}`, auto_archive_duration: 1440 } })).id;
      patch.boardAnchorId = anchor.id;
      patch.boardThreadId = threadId;
    }
    if (event.type === 'finished' && !ref.boardDeliveryMessageId && !delivered.has(board.id)) {
      const what = board.kind === 'extension' ? 'longer video' : 'storyboard';
      patch.boardDeliveryMessageId = await postVideo(deps, threadId, ref, {
        id: board.id,
        path: event.path,
        bytes: event.bytes,
        seconds: board.seconds,
        content: `<@${board.requesterId}>, your ${what} \`${board.id}\`: ${board.seconds}s, ${formatUsd(event.totalMicros)}.`,
        mention: board.requesterId,
      });
      delivered.add(board.id);
    }
    if (event.type === 'incomplete') await uploadShotFiles(deps, board, threadId, ref, event.delivered);
    const body = { ...statusBody(board, event), allowed_mentions: { parse: [] } };
    body.content = clip(body.content);
    const statusId = ref.boardStatusMessageId;
    let edited = false;
    if (statusId) {
      try {
        await rest.patch(Routes.channelMessage(threadId, statusId), { body });
        edited = true;
      } catch (error) {
        if (discordCode(error) !== UNKNOWN_MESSAGE) throw error;
        deps.logger.info({ board: board.id }, 'storyboard status message was deleted; posting a new one');
      }
    }
    if (!edited) patch.boardStatusMessageId = idSchema.parse(await rest.post(Routes.channelMessages(threadId), { body })).id;
    return Object.keys(patch).length > 0 ? (patch as Partial<SurfaceRef>) : undefined;
  };
}

/** One video into the thread: attached when it fits this server's limit (re-encoded if need be), else linked. */
async function postVideo(
  deps: DiscordBoardDeps,
  threadId: string,
  ref: BoardRef,
  video: { id: string; path: string; bytes: number; seconds: number; content: string; mention: string; nonce?: string | undefined },
): Promise<string> {
  const { file, note, link } = await fitToUpload(deps, video, ref.attachmentSizeLimit);
  const body = {
    content: clip([video.content, note, link].filter(Boolean).join('\n')),
    // Discord returns the earlier message instead of posting a second one with the same nonce.
    nonce: (video.nonce ?? `v${video.id}`).slice(0, 25),
    enforce_nonce: true,
    allowed_mentions: { users: [video.mention] },
  };
  const request = file ? multipartMessage(body, `${video.id}.mp4`, 'video/mp4', await readFile(file.path)) : { body };
  const posted = idSchema.parse(await deps.rest.post(Routes.channelMessages(threadId), request));
  deps.logger.info({ video: video.id, attached: file !== undefined, bytes: file?.bytes ?? video.bytes }, 'storyboard video posted to Discord');
  return posted.id;
}

async function uploadShotFiles(deps: DiscordBoardDeps, board: BoardRecord, threadId: string, ref: BoardRef, shots: { shot: number; path: string }[], request?: string): Promise<void> {
  for (const shot of shots) {
    const { size } = await stat(shot.path);
    // The shots share the board's length about evenly; the re-encoder only needs it for a bitrate.
    const seconds = Math.max(1, (board.seconds || 4 * board.shots.length) / board.shots.length);
    // A click on Shots is a request of its own: its posts must not be taken for repeats of the partial delivery's.
    const nonce = request ? `s${request.slice(-20)}${shot.shot}` : undefined;
    await postVideo(deps, threadId, ref, { id: `${board.id}-shot-${shot.shot}`, path: shot.path, bytes: size, seconds, content: `Shot ${shot.shot} of \`${board.id}\``, mention: board.requesterId, nonce });
  }
}

/** "Shots": the single shots uploaded into the board's thread. */
export async function uploadShots(deps: DiscordBoardDeps, board: BoardRecord, shots: { shot: number; path: string }[], request: string): Promise<void> {
  const ref = boardRefSchema.parse(board.surface);
  const threadId = ref.boardThreadId ?? ref.threadId;
  if (!threadId) throw new Error(`storyboard ${board.id} has no thread yet`);
  await uploadShotFiles(deps, board, threadId, ref, shots, request);
}
