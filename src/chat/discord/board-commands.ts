/**
 * Storyboards from Discord: `/sora storyboard` and `/sora extend` answer the
 * requester privately with the acceptance (price, budget left) and start the
 * board, whose thread and status message board-surface.ts posts. The same
 * happens for their forms (board-forms.ts): `/sora storyboard` without shots
 * and a delivered video's Extend button open one. The board's buttons
 * ("Retry shot N", "Shots", "Extend") act for a board the clicker can see.
 * `/sora retry` is a plain private answer (slash-command.ts).
 */
import { type ButtonInteraction, type ChatInputCommandInteraction, type ModalSubmitInteraction } from 'discord.js';
import { runCommand, type CommandContext, type ParsedCommand } from '../../../commands/index.js';
import { UserFacingError } from '../../core/errors.js';
import { msg, render } from '../../core/messages.js';
import { describeReply } from '../../core/present.js';
import type { SurfaceRef } from '../../core/types.js';
import { extendFromForm, extendModal, isStoryboardForm, storyboardFormId, storyboardFromForm, storyboardModal } from './board-forms.js';
import { uploadShots } from './board-surface.js';
import { boardExtendCustomId, parseBoardCustomId, parseJobCustomId } from './custom-ids.js';
import { actorOf, answerEphemeral, deferAnswer, markupFor, notInServer, sentenceFor, type DiscordDeps } from './interaction-context.js';
import { JOB_IN_CHANNEL, JOB_IN_THREAD, missingPermissionSentence, missingPermissions } from './permissions.js';
import { replyMessage } from './render.js';
import { DEFAULT_ATTACHMENT_LIMIT } from './surface-ref.js';

export const BOARD_LAUNCHES = new Set(['sora storyboard', 'sora extend']);

/** `/sora storyboard` and `/sora extend`: the acceptance privately, then the board starts in its thread. */
export async function launchBoard(
  deps: DiscordDeps,
  interaction: ChatInputCommandInteraction | ModalSubmitInteraction,
  command: ParsedCommand,
  ctx: (surface: SurfaceRef) => CommandContext,
): Promise<void> {
  const { logger } = deps;
  const inThread = interaction.channel?.isThread() ?? false;
  // Checked before anything is reserved: a board the bot cannot show would hold money for nothing.
  const missing = missingPermissions(interaction.appPermissions, inThread ? JOB_IN_THREAD : JOB_IN_CHANNEL);
  if (missing.length > 0) return answerEphemeral(interaction, missingPermissionSentence(missing), logger);
  // No shots typed: the form with a field per shot, which must be the first answer (no defer before it).
  const formId = command.subcommand === 'storyboard' && command.options.shots === undefined ? storyboardFormId(command.options) : undefined;
  if (formId && interaction.isChatInputCommand()) return void (await interaction.showModal(storyboardModal(formId)));
  // Planning and reserving several shots may take longer than Discord's 3 seconds; the acceptance is private anyway.
  await deferAnswer(deps, interaction, true);
  const surface = {
    platform: 'discord',
    guildId: interaction.guildId!,
    channelId: interaction.channelId!,
    applicationId: deps.applicationId,
    requesterId: interaction.user.id,
    // Asked for inside a thread, the board shows itself there (a thread cannot hold a thread).
    ...(inThread && { threadId: interaction.channelId! }),
    attachmentSizeLimit: interaction.attachmentSizeLimit ?? DEFAULT_ATTACHMENT_LIMIT,
  } as SurfaceRef;
  try {
    const reply = await runCommand(command, ctx(surface));
    await interaction.editReply({ ...replyMessage(reply, markupFor(interaction)), allowedMentions: { parse: [] } });
    if (reply.kind === 'board-accepted') await deps.studio.boards.start(reply.accepted.board.id);
  } catch (error) {
    await answerEphemeral(interaction, sentenceFor(error, logger, { command: command.subcommand }, markupFor(interaction)), logger);
  }
}

/** True when the form was a storyboard's or an extension's (and was answered). */
export async function handleBoardForm(deps: DiscordDeps, interaction: ModalSubmitInteraction): Promise<boolean> {
  const job = parseJobCustomId(interaction.customId);
  const board = parseBoardCustomId(interaction.customId);
  const extended = job?.action === 'extend' ? job.jobId : board?.action === 'extend' ? board.boardId : undefined;
  if (!isStoryboardForm(interaction.customId) && extended === undefined) return false;
  const actor = actorOf(interaction, deps.places);
  if (!actor) {
    await answerEphemeral(interaction, notInServer(interaction), deps.logger);
    return true;
  }
  let command: ParsedCommand;
  try {
    command = extended !== undefined ? extendFromForm(interaction, extended) : storyboardFromForm(interaction);
  } catch (error) {
    await answerEphemeral(interaction, sentenceFor(error, deps.logger, { modal: interaction.customId }, markupFor(interaction)), deps.logger);
    return true;
  }
  await launchBoard(deps, interaction, command, (surface) => ({ studio: deps.studio, actor, surface }));
  return true;
}

/** True when the click was a storyboard's button (and was answered). */
export async function handleBoardButton(deps: DiscordDeps, interaction: ButtonInteraction): Promise<boolean> {
  const parsed = parseBoardCustomId(interaction.customId);
  if (!parsed) return false;
  const { studio, logger } = deps;
  const actor = actorOf(interaction, deps.places);
  if (!actor) {
    await answerEphemeral(interaction, notInServer(interaction), logger);
    return true;
  }
  try {
    if (parsed.action === 'extend') {
      // As for a job's Extend: the form is the first answer to the click; /sora extend's checks run on its submit.
      const { board, lines } = await studio.boards.view(actor, parsed.boardId);
      if (board.state !== 'delivered') throw new UserFacingError(msg('extend.not_finished', { id: board.id, board: true }), { code: 'not_finished' });
      await interaction.showModal(extendModal(boardExtendCustomId(board.id), lines.at(-1)?.seconds ?? board.seconds, markupFor(interaction)));
      return true;
    }
    await deferAnswer(deps, interaction, true);
    if (parsed.action === 'approve' || parsed.action === 'deny') {
      // As on a job: the core refuses whoever may not decide, and of two clicks at once only the first decides.
      const decider = await deps.admins.decider(actor, interaction.guildId!);
      const decided = parsed.action === 'approve' ? await studio.team.approveBoard(decider, parsed.boardId) : await studio.team.denyBoard(decider, parsed.boardId, undefined);
      await interaction.editReply({ content: describeReply({ kind: 'board-decided', ...decided }, markupFor(interaction)), allowedMentions: { parse: [] } });
    } else if (parsed.action === 'retry') {
      // Reserved again, from the budget of whoever clicked; the status message follows the new shot.
      const board = await studio.boards.retry(actor, parsed.boardId, parsed.shot);
      await interaction.editReply({ content: describeReply({ kind: 'board', ...(await studio.boards.view(actor, board.id)) }, markupFor(interaction)), allowedMentions: { parse: [] } });
    } else {
      const { board } = await studio.boards.view(actor, parsed.boardId);
      await uploadShots(deps, board, await studio.boards.shotFiles(actor, parsed.boardId), interaction.id);
      await interaction.editReply({ content: render(msg('board.shots-posted', { boardId: board.id }), markupFor(interaction)) });
    }
  } catch (error) {
    await answerEphemeral(interaction, sentenceFor(error, logger, { button: interaction.customId }, markupFor(interaction)), logger);
  }
  return true;
}
