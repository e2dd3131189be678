/**
 * Every slash command on Discord: options through the shared validation, the
 * command through the one dispatcher (commands/index.ts, which also checks
 * who may run it), and the Reply rendered the Discord way. What is Discord's
 * own is only how each answer is shown: a command that spends money opens a
 * job thread (launch-job.ts); private answers are ephemeral; slow work defers.
 */
import { ApplicationCommandOptionType, InteractionType, MessageFlags, Routes, type ChatInputCommandInteraction } from 'discord.js';
import { z } from 'zod';
import { runCommand, type CommandContext, type ParsedCommand } from '../../../commands/index.js';
import type { Actor, SurfaceRef } from '../../core/types.js';
import { msg, render } from '../../core/messages.js';
import { actorOf, answerEphemeral, attachmentResolver, deferAnswer, markupFor, notInServer, parseCommand, sentenceFor, type DiscordDeps } from './interaction-context.js';
import { BOARD_LAUNCHES, launchBoard } from './board-commands.js';
import { launchJob, threadToJoin } from './launch-job.js';
import { multipartFiles } from './fit-upload.js';
import { replyMessage } from './render.js';

/** Answers only the asker sees: a job's status, a cancellation note, a deletion note. */
const PRIVATE_ANSWERS = new Set(['sora status', 'sora cancel', 'character delete', 'audit', 'settings show', 'settings channel', 'settings access', 'settings alerts', 'sora approve', 'sora deny', 'sora retry']);
/** Answers that may take longer than Discord's 3 seconds (fetching and preparing a clip): defer, privately, as a refusal must stay private. */
const SLOW_ANSWERS = new Set(['character create', 'sora approve', 'sora deny']);
/** Decisions on a waiting video: whether an admin is the server's only one is looked up (sole-admin.ts). */
const DECISIONS = new Set(['sora approve', 'sora deny']);
/** Slow but public: `/cost` renders its chart before answering. */
const SLOW_PUBLIC_ANSWERS = new Set(['cost']);

/** Commands whose accepted answer is the public defer of a job thread (launchJob), unless a file must be fetched first. */
const PUBLIC_JOB_LAUNCHES = new Set(['sora generate', 'sora remix']);

/**
 * The raw slash command as Discord sends it, read before discord.js builds the interaction
 * (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-application-command-data-structure).
 */
const RawSlashCommand = z.object({
  type: z.literal(InteractionType.ApplicationCommand),
  data: z.object({
    name: z.string(),
    options: z.array(z.object({ type: z.number().int(), name: z.string(), options: z.array(z.object({ type: z.number().int() })).optional() })).optional(),
  }),
});

/**
 * Whether an interaction, as received, will be answered with a public defer if it is accepted: a job
 * launch with no attached file (a file is fetched behind an ephemeral defer, see launchFromCommand).
 * The Discord HTTP transport defers such an interaction at once under a burst (http-interactions.ts).
 */
export function defersPublicly(payload: Record<string, unknown>): boolean {
  const parsed = RawSlashCommand.safeParse(payload);
  if (!parsed.success) return false;
  const sub = parsed.data.data.options?.[0];
  if (sub?.type !== ApplicationCommandOptionType.Subcommand) return false;
  return PUBLIC_JOB_LAUNCHES.has(`${parsed.data.data.name} ${sub.name}`) && !(sub.options ?? []).some((o) => o.type === ApplicationCommandOptionType.Attachment);
}

export async function onSlashCommand(deps: DiscordDeps, interaction: ChatInputCommandInteraction): Promise<void> {
  const { logger } = deps;
  const member = actorOf(interaction, deps.places);
  const m = markupFor(interaction);
  if (!member) return answerEphemeral(interaction, notInServer(interaction), logger);
  let actor = member;
  let command: ParsedCommand;
  try {
    command = parseCommand(interaction);
  } catch (error) {
    return answerEphemeral(interaction, sentenceFor(error, logger, { command: interaction.commandName }, m), logger);
  }
  const name = `${command.command} ${command.subcommand ?? ''}`.trim();
  const handedOver: string[] = [];
  const ctx = (surface: SurfaceRef): CommandContext => ({
    studio: deps.studio,
    actor,
    surface,
    // How Discord names the members the specs call admins (see permissions.ts isServerAdmin).
    adminsAre: render(msg('admins.discord'), m),
    resolveAttachment: attachmentResolver(deps, interaction, handedOver),
  });
  // Storyboards and extensions show themselves in a board thread (board-commands.ts, board-surface.ts).
  if (BOARD_LAUNCHES.has(name)) return launchBoard(deps, interaction, command, ctx);
  try {
    if (PUBLIC_JOB_LAUNCHES.has(name)) return await launchFromCommand(deps, interaction, command, actor, ctx);
    const slow = SLOW_ANSWERS.has(name) || SLOW_PUBLIC_ANSWERS.has(name);
    if (slow) await deferAnswer(deps, interaction, SLOW_ANSWERS.has(name));
    if (DECISIONS.has(name)) actor = await deps.admins.decider(actor, interaction.guildId!);
    const message = { ...replyMessage(await runCommand(command, ctx({ platform: 'discord' })), m), allowedMentions: { parse: [] } };
    if (slow && message.files) await editReplyWithFiles(deps, interaction, message);
    else if (slow) await interaction.editReply(message);
    else await interaction.reply({ ...message, ...(PRIVATE_ANSWERS.has(name) ? { flags: MessageFlags.Ephemeral } : {}) });
  } catch (error) {
    await answerEphemeral(interaction, sentenceFor(error, logger, { command: name }, m), logger);
  } finally {
    // What the core kept it moved into the team's folder; a refused request keeps nothing.
    await deps.media.discard(handedOver);
  }
}

/** `/sora generate` and `/sora remix`: accepted by the dispatcher, shown in a job thread. */
async function launchFromCommand(
  deps: DiscordDeps,
  interaction: ChatInputCommandInteraction,
  command: ParsedCommand,
  actor: Actor,
  ctx: (surface: SurfaceRef) => CommandContext,
): Promise<void> {
  // A remix asked for beside the original joins its thread, so variations sit together (see threadToJoin).
  const threadId = command.subcommand === 'remix' ? threadToJoin(await deps.studio.job(actor, String(command.options.job)), interaction) : undefined;
  return launchJob(deps, interaction, {
    threadId,
    // An attached image must be downloaded first, which may take longer than Discord's 3 seconds.
    slow: command.options.image !== undefined,
    launch: (surface, openSurface) => runCommand(command, { ...ctx(surface), openSurface }),
  });
}

/**
 * Fills in a deferred reply that carries files (/cost's chart and CSV) as a ready-made multipart body:
 * discord.js's own `files` cannot pass this project's dispatcher (see multipartFiles).
 */
async function editReplyWithFiles(deps: DiscordDeps, interaction: ChatInputCommandInteraction, message: ReturnType<typeof replyMessage>): Promise<void> {
  const { files = [], content, embeds } = message;
  const typeOf = (name: string) => (name.endsWith('.png') ? 'image/png' : name.endsWith('.csv') ? 'text/csv' : 'application/octet-stream');
  const payload = { ...(content !== undefined && { content }), ...(embeds && { embeds }), allowed_mentions: { parse: [] } };
  const body = multipartFiles(payload, files.map((f) => ({ name: f.name, contentType: typeOf(f.name), data: f.attachment })));
  await deps.rest.patch(Routes.webhookMessage(deps.applicationId, interaction.token), { ...body, auth: false });
}
