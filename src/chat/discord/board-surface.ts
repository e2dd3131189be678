/**
 * A storyboard on Discord: its own thread (hanging from a message in the
 * channel, as a single job's does), or for an extension the original video's
 * thread; ONE status message there, edited in place, with a line per shot and
 * the total; then the joined video uploaded into the thread, sized as single
 * videos are (fit-upload.ts). A shot that still fails leaves the shots that
 * worked in the thread with a "Retry shot N" button; "Shots" uploads the
 * single shots on request; "Extend" continues the delivered video. The
 * board's message ids live under `board*` keys of its SurfaceRef, because an
 * extension's ref starts as a copy of the original's (whose statusMessageId is
 * the original job's; an extension of a board starts from `threadOfBoard`).
 *
 * A resumed board must not post its anchor, status message or joined video a
 * second time: each carries a nonce Discord deduplicates on for a few minutes
 * (`enforce_nonce`), and before posting one whose id the ref does not hold
 * (a process that stopped before recording it) the bot looks for its own
 * earlier post, as single jobs do (surface.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { ButtonStyle, ComponentType, Routes, type REST } from 'discord.js';
import { z } from 'zod';
import { formatUsd } from '../../core/money.js';
import { boardAwaitingText, boardDecisionNotice, boardDeniedText, shotLineText } from '../../core/present-board.js';
import { chatMarkdown } from '../../core/present.js';
import type { BoardEvent, BoardRecord, SurfaceRef } from '../../core/types.js';
import type { Logger } from '../../log.js';
import type { BotMediaStore } from '../../media/media-store.js';
import { discordCode, THREAD_ALREADY_CREATED, UNKNOWN_MESSAGE } from './api-errors.js';
import { boardDecideCustomId, boardExtendCustomId, boardRetryCustomId, boardShotsCustomId } from './custom-ids.js';
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
const messageListSchema = z.array(
  z.object({ id: z.string(), content: z.string().optional(), nonce: z.union([z.string(), z.number()]).optional(), author: z.object({ id: z.string() }).passthrough().optional() }).passthrough(),
);

export interface DiscordBoardDeps {
  rest: REST;
  logger: Logger;
  media: BotMediaStore;
  /** The bot's user id once logged in: only its own messages are taken for its earlier posts. */
  botUserId?: () => string | undefined;
}

/** Nonces (at most 25 characters) of a board's own posts: the anchor, the status message, the joined video. */
const NONCE = { anchor: (id: string) => `a${id}`.slice(0, 25), status: (id: string) => `st${id}`.slice(0, 25), video: (id: string) => `v${id}`.slice(0, 25) };

/** The ref an extension of this board starts with: the board's thread, none of its own message ids. */
export function threadOfBoard(ref: SurfaceRef): SurfaceRef {
  const { boardThreadId, boardAnchorId: _a, boardStatusMessageId: _s, boardDeliveryMessageId: _d, ...rest } = ref;
  return { ...rest, ...(typeof boardThreadId === 'string' && { threadId: boardThreadId }) } as SurfaceRef;
}

const button = (customId: string, label: string, style: ButtonStyle) => ({ type: ComponentType.Button, custom_id: customId, label, style });
const row = (buttons: object[]) => (buttons.length > 0 ? [{ type: ComponentType.ActionRow, components: buttons }] : []);

/** The head of the board's status message; it names the board, so an earlier status is found again after a restart (findOwn). */
const statusHead = (board: BoardRecord) => (board.kind === 'extension' ? `Extension \`${board.id}\` of \`${board.lead!.jobId}\`` : `Storyboard \`${board.id}\``);

function statusBody(board: BoardRecord, event: BoardEvent): { content: string; components: object[] } {
  const what = statusHead(board);
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
        components: row([
          button(boardExtendCustomId(board.id), 'Extend', ButtonStyle.Secondary),
          ...(board.kind === 'extension' ? [] : [button(boardShotsCustomId(board.id), 'Shots', ButtonStyle.Secondary)]),
        ]),
      };
    case 'failed':
      return { content: `**${what}**: ${event.reason}`, components: row([button(boardShotsCustomId(board.id), 'Shots', ButtonStyle.Secondary)]) };
    case 'awaiting-approval':
      // Discord shows a message's buttons to everyone in the thread; the core refuses whoever may not decide.
      return {
        content: [`**${what}**: ${boardAwaitingText(board, event, chatMarkdown)}`, ...lines, `Total: ${formatUsd(event.totalMicros)}`].join('\n'),
        components: row([button(boardDecideCustomId('approve', board.id), 'Approve', ButtonStyle.Success), button(boardDecideCustomId('deny', board.id), 'Deny', ButtonStyle.Danger)]),
      };
    case 'approved':
      return { content: `**${what}**: approved by ${event.byName}; the shots start now.`, components: [] };
    case 'denied':
      return { content: `**${what}**: ${boardDeniedText(event)}`, components: [] };
  }
}

export function discordBoardView(deps: DiscordBoardDeps): (board: BoardRecord, event: BoardEvent) => Promise<Partial<SurfaceRef> | void> {
  const { rest } = deps;
  /** What this process posted per live board, in case the stored ref is a step behind (its patch not saved yet). */
  const posted = new Map<string, { threadId?: string; statusId?: string; deliveryId?: string }>();
  return async (board, event) => {
    const parsed = boardRefSchema.safeParse(board.surface);
    if (!parsed.success) return void deps.logger.warn({ board: board.id }, 'discord storyboard without a channel; nothing to show');
    const ref = parsed.data;
    const mine = posted.get(board.id) ?? {};
    posted.set(board.id, mine);
    const patch: Partial<BoardRef> = {};
    let threadId = ref.boardThreadId ?? mine.threadId ?? ref.threadId;
    if (!threadId) {
      const opened = await openThread(deps, board, ref.channelId);
      threadId = patch.boardThreadId = mine.threadId = opened.threadId;
      patch.boardAnchorId = opened.anchorId;
    }
    if (event.type === 'finished') {
      const what = board.kind === 'extension' ? 'longer video' : 'storyboard';
      const content = `<@${board.requesterId}>, your ${what} \`${board.id}\`: ${board.seconds}s, ${formatUsd(event.totalMicros)}.`;
      const deliveryId =
        ref.boardDeliveryMessageId ??
        mine.deliveryId ??
        (await findOwn(deps, threadId, NONCE.video(board.id), (text) => text.includes(`, your ${what} \`${board.id}\``))) ??
        (await postVideo(deps, threadId, ref, { id: board.id, path: event.path, bytes: event.bytes, seconds: board.seconds, content, mention: board.requesterId, nonce: NONCE.video(board.id) }));
      if (deliveryId !== ref.boardDeliveryMessageId) patch.boardDeliveryMessageId = mine.deliveryId = deliveryId;
    }
    if (event.type === 'incomplete') await uploadShotFiles(deps, board, threadId, ref, event.delivered);
    if (event.type === 'approved' || event.type === 'denied') {
      // The requester hears the decision and who made it, as for a single job (surface.ts tellRequester).
      const content = clip(`<@${board.requesterId}>: ${boardDecisionNotice(board, event, chatMarkdown)}`);
      await rest.post(Routes.channelMessages(threadId), { body: { content, allowed_mentions: { users: [board.requesterId] } } });
    }
    const body = { ...statusBody(board, event), allowed_mentions: { parse: [] } };
    body.content = clip(body.content);
    let statusId = ref.boardStatusMessageId ?? mine.statusId ?? (await findOwn(deps, threadId, NONCE.status(board.id), (text) => text.startsWith(`**${statusHead(board)}`)));
    let nonce = NONCE.status(board.id);
    if (statusId) {
      try {
        await rest.patch(Routes.channelMessage(threadId, statusId), { body });
      } catch (error) {
        if (discordCode(error) !== UNKNOWN_MESSAGE) throw error;
        deps.logger.info({ board: board.id }, 'storyboard status message was deleted; posting a new one');
        // Its replacement gets a nonce of its own, so it is never taken for a repeat of the deleted one.
        nonce = `r${statusId}`.slice(0, 25);
        statusId = undefined;
      }
    }
    statusId ??= idSchema.parse(await rest.post(Routes.channelMessages(threadId), { body: { ...body, nonce, enforce_nonce: true } })).id;
    if (statusId !== ref.boardStatusMessageId) patch.boardStatusMessageId = mine.statusId = statusId;
    // The board's last event: what is left to know is in its stored ref (a repeated one finds the rest in the thread).
    if (event.type === 'finished' || event.type === 'failed') posted.delete(board.id);
    return Object.keys(patch).length > 0 ? (patch as Partial<SurfaceRef>) : undefined;
  };
}

/**
 * The message the board's thread hangs from, and the thread. An anchor posted by a process that stopped
 * before recording it is found instead of posted again, and a thread started from a message has that
 * message's id (https://discord.com/developers/docs/resources/channel#start-thread-from-message), so
 * a thread already opened on it (160004) is that one.
 */
async function openThread(deps: DiscordBoardDeps, board: BoardRecord, channelId: string): Promise<{ anchorId: string; threadId: string }> {
  const content = `<@${board.requesterId}> asked for a storyboard of ${board.shots.length} shots (\`${board.id}\`).`;
  const anchorId =
    (await findOwn(deps, channelId, NONCE.anchor(board.id), (text) => text.includes(`shots (\`${board.id}\`)`))) ??
    idSchema.parse(await deps.rest.post(Routes.channelMessages(channelId), { body: { content: clip(content), nonce: NONCE.anchor(board.id), enforce_nonce: true, allowed_mentions: { parse: [] } } })).id;
  try {
    const thread = idSchema.parse(await deps.rest.post(Routes.threads(channelId, anchorId), { body: { name: `Storyboard ${board.id}`, auto_archive_duration: 1440 } }));
    return { anchorId, threadId: thread.id };
  } catch (error) {
    if (discordCode(error) !== THREAD_ALREADY_CREATED) throw error;
    return { anchorId, threadId: anchorId };
  }
}

/**
 * The bot's own earlier post in a channel or thread, by its nonce or its words: Discord's nonce only
 * deduplicates for a few minutes, and a restart can take longer. Only the last 50 messages are read.
 */
async function findOwn(deps: DiscordBoardDeps, channelId: string, nonce: string, says: (content: string) => boolean): Promise<string | undefined> {
  const bot = deps.botUserId?.();
  const raw = await deps.rest.get(Routes.channelMessages(channelId), { query: new URLSearchParams({ limit: '50' }) });
  return messageListSchema.parse(raw).find((m) => (bot === undefined || m.author?.id === bot) && (m.nonce === nonce || says(m.content ?? '')))?.id;
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
