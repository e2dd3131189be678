/**
 * Every slash command (`/sora`, `/character`, `/cost`, `/budget`), in the shared text syntax. The ack
 * comes first and is empty; every answer, a usage error and help included, goes through the command's
 * response_url (https://api.slack.com/interactivity/slash-commands#responding_to_commands). Slack shows
 * the member an error if the ack takes more than 3 s, and under a burst any reading or checking before
 * one command's ack delays the acks of all those behind it (bench/README.md, "Fifth pass").
 */
import { rm } from 'node:fs/promises';
import type { AllMiddlewareArgs, RespondFn, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { CommandInputError, findCommand, findSubcommand, optionsOf } from '../../../command-line/options.js';
import { parseTextCommand } from '../../../command-line/text-syntax.js';
import { runCommand, type ParsedCommand } from '../../../../commands/index.js';
import { uploadBytes } from '../upload.js';
import { chatMarkdown, type Markup } from '../../../core/markup.js';
import { msg, render } from '../../../core/messages.js';
import type { Reply } from '../../../core/replies.js';
import type { Actor } from '../../../core/types.js';
import { storyboardModal } from '../board-forms.js';
import { costBlocks, replyText } from '../blocks.js';
import { jobThreadOpener, userMessageFor, type SlackRuntime } from '../runtime.js';
import { downloadSharedFile, slackFileId } from '../shared-files.js';
import { escapeSlackText, mentionsToNames, unescapeSlackText, unlabelledMentions } from '../slack-text.js';
import { slackRef } from '../surface.js';

/** The fields of Slack's slash-command POST that the bot relies on. */
export const slashCommandSchema = z.object({
  command: z.string().regex(/^\/[a-z0-9_-]+$/i),
  text: z.string().max(4000).default(''),
  team_id: z.string().min(1),
  channel_id: z.string().min(1),
  user_id: z.string().min(1),
  user_name: z.string().optional(),
  response_url: z.string().url(),
  /** Opens a form within 3 s of the command (https://api.slack.com/methods/views.open). */
  trigger_id: z.string().min(1).optional(),
});
type SlashCommand = z.infer<typeof slashCommandSchema>;

const ephemeral = (text: string) => ({ response_type: 'ephemeral' as const, text });

export function slashCommandListener(rt: SlackRuntime) {
  return async function onSlashCommand({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    rt.studio.arrivals.arrived();
    await ack();
    // A storyboard's form needs the command's trigger_id, which works for 3 s (views.open): it does not queue.
    if (command.command === '/sora' && STORYBOARD.test(command.text)) return answerSlashCommand(rt, command, respond);
    // Not awaited: the listener returns, so Bolt lets go of this event's context (its body, client, say, ...)
    // while the answer waits for a quiet turn; under a burst, 500 of those outlived scavenges and made each
    // one copy them (bench/README.md, "Fifth pass").
    void rt.afterAck.run(() => answerSlashCommand(rt, command, respond)).catch((error: unknown) => rt.logger.error({ err: error }, 'unhandled error answering a slack command'));
  };
}

const STORYBOARD = /^\s*storyboard\b/;

/** Reads the command (its fields, then its text) and answers it through response_url. */
async function answerSlashCommand(rt: SlackRuntime, command: SlackCommandMiddlewareArgs['command'], respond: RespondFn): Promise<void> {
  const say = async (text: string): Promise<void> => {
    await respond(ephemeral(text)).catch((e: unknown) => rt.logger.warn({ err: e }, 'could not answer a slack command through response_url'));
  };
  const payload = slashCommandSchema.safeParse(command);
  if (!payload.success) {
    rt.logger.warn({ issues: payload.error.issues }, 'malformed slack slash command');
    return say(render(msg('slack.unreadable_command'), chatMarkdown));
  }
  const p = payload.data;
  let parsed: ReturnType<typeof parseTextCommand>;
  try {
    parsed = parseTextCommand(unescapeSlackText(p.text), p.command.slice(1));
  } catch (error) {
    if (!(error instanceof CommandInputError)) throw error;
    // Said in English without asking users.info: what the member typed is not understood yet.
    return say(userMessageFor(error, rt.logger, {}, chatMarkdown));
  }
  // `<prompt>` must reach Slack as `&lt;prompt&gt;` to show as typed, code block or not.
  if (parsed.kind === 'help') return say(`\`\`\`${escapeSlackText(parsed.text)}\`\`\``);
  const { command: name, subcommand, options } = parsed.command;
  // No shots typed: the storyboard form, with a field per shot and the options typed here riding along.
  if (name === 'sora' && subcommand === 'storyboard' && options.shots === undefined && p.trigger_id) return openStoryboardForm(rt, p, options, respond);
  return answerCommand(rt, p, parsed.command, respond);
}

async function openStoryboardForm(rt: SlackRuntime, p: SlashCommand, options: ParsedCommand['options'], respond: RespondFn): Promise<void> {
  const typed = Object.fromEntries(Object.entries(options).filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined));
  try {
    await rt.client.views.open({ trigger_id: p.trigger_id!, view: storyboardModal({ channel: p.channel_id, options: typed }, await rt.members.markup(p.team_id, p.user_id)) });
  } catch (error) {
    await respond(ephemeral(userMessageFor(error, rt.logger, { command: p.command, form: 'storyboard' }, await rt.members.markup(p.team_id, p.user_id)))).catch(() => undefined);
  }
}

async function answerCommand(rt: SlackRuntime, p: SlashCommand, parsed: ParsedCommand, respond: RespondFn): Promise<void> {
  const downloaded: string[] = [];
  const m = await rt.members.markup(p.team_id, p.user_id);
  try {
    const member = rt.places.actorIn(await rt.members.actor(p.team_id, p.user_id, p.user_name), p.channel_id);
    // A decision on a waiting video: whether the admin is the team's only one (members.ts).
    const actor = parsed.command === 'sora' && (parsed.subcommand === 'approve' || parsed.subcommand === 'deny') ? await rt.members.decider(p.team_id, member) : member;
    const command = await normalizeSlackValues(rt, p.team_id, parsed, p.text);
    const reply = await runCommand(command, {
      studio: rt.studio,
      actor,
      surface: slackRef(p.team_id, p.channel_id),
      openSurface: jobThreadOpener(rt, p.channel_id, m),
      resolveAttachment: async (value, kind) => {
        const file = await downloadSharedFile(value, kind, rt.sharedFiles);
        downloaded.push(file);
        return file;
      },
    });
    await present(rt, reply, actor, p, respond, m);
  } catch (error) {
    await respond(ephemeral(userMessageFor(error, rt.logger, { command: p.command, team: p.team_id }, m))).catch((e: unknown) =>
      rt.logger.warn({ err: e }, 'could not answer a slack command through response_url'),
    );
  } finally {
    // The core moved what it keeps (a clip, an --image) into the team's folder, owned by the character or
    // the job until it ends; whatever is still here was refused, and a refused request keeps nothing.
    for (const file of downloaded) await rm(file, { force: true });
  }
}

/**
 * Slack-specific values turned back into what the person typed: `@mascot`
 * that Slack made a user mention in a prompt or a character name, and a
 * Slack file link given as `--video_url` (which only the bot token can read).
 */
async function normalizeSlackValues(rt: SlackRuntime, team: string, parsed: ParsedCommand, rawText: string): Promise<ParsedCommand> {
  const spec = findCommand(parsed.command);
  const specs = spec ? optionsOf(spec, parsed.subcommand ? findSubcommand(spec, parsed.subcommand) : undefined) : [];
  const options = { ...parsed.options };
  for (const option of specs) {
    const value = options[option.name];
    if (option.type !== 'string' || typeof value !== 'string') continue;
    const handles = new Map<string, string | undefined>();
    for (const id of unlabelledMentions(value)) handles.set(id, await rt.members.handle(team, id));
    options[option.name] = mentionsToNames(value, (id) => handles.get(id));
  }
  // A `--channel #budget` (/settings alerts) names the channel by the id Slack escaped it to (`<#C…|budget>`),
  // which unescaping turned into `#budget` for the parser: the id is what chat.postMessage needs.
  const channelRef = /<#([A-Z0-9]+)(?:\|([^>]*))?>/.exec(rawText);
  if (typeof options.channel === 'string' && channelRef) options.channel = `<#${channelRef[1]}|${channelRef[2] || channelRef[1]}>`;
  const url = options.video_url;
  if (typeof url === 'string' && options.video === undefined && slackFileId(url) && !/^F/.test(url)) {
    options.video = url;
    delete options.video_url;
  }
  return { ...parsed, options };
}

async function present(rt: SlackRuntime, reply: Reply, actor: Actor, p: SlashCommand, respond: RespondFn, m: Markup): Promise<void> {
  switch (reply.kind) {
    case 'accepted':
      return; // the job's thread, opened as it launched, is the answer
    case 'cost': {
      await respond({ response_type: 'ephemeral', ...costBlocks(reply.report, m) });
      // The chart (and the CSV when asked) go to the asker's direct messages with the bot: an ephemeral reply
      // cannot carry a file, and a Block Kit image of a file must be shared somewhere the viewer can see
      // (https://docs.slack.dev/reference/block-kit/composition-objects/slack-file-object). The channel is the
      // wrong place: the CSV names members and private channels, and /cost is a private question.
      const files = [...(reply.chart ? [reply.chart] : []), ...(reply.csv ? [{ fileName: reply.csv.fileName, bytes: Buffer.from(reply.csv.text) }] : [])];
      if (files.length === 0) return;
      const dm = await directMessageChannel(rt, actor.userId);
      for (const file of files) {
        await uploadBytes(rt.client, { bytes: file.bytes, filename: file.fileName, title: file.fileName, channel: dm, threadTs: undefined, comment: `/cost: ${file.fileName}` });
      }
      await respond({ response_type: 'ephemeral', text: render(msg('cost.files-sent', { fileNames: files.map((f) => f.fileName) }), m) });
      return;
    }
    case 'board-accepted':
      // The acceptance (price, budget left) goes to the requester; the board's thread is public.
      await respond(ephemeral(replyText(reply, m)));
      await rt.studio.boards.start(reply.accepted.board.id);
      return;
    default:
      await respond(ephemeral(replyText(reply, m)));
  }
}

const conversationOpenSchema = z.object({ channel: z.object({ id: z.string().min(1) }) });

/** The bot's direct-message channel with a member (https://api.slack.com/methods/conversations.open, scope im:write). */
async function directMessageChannel(rt: SlackRuntime, userId: string): Promise<string> {
  return conversationOpenSchema.parse(await rt.client.conversations.open({ users: userId })).channel.id;
}
