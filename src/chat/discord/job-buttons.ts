/**
 * The buttons on a job's status message and the Remix modal (Extend's form
 * is in board-forms.ts). Ids carry the job id only (see custom-ids.ts), so they work after a restart; who may do
 * what is decided by the core against the clicker's server and rights.
 */
import {
  ActionRowBuilder,
  MessageFlags,
  ModalBuilder,
  TextInputBuilder,
  TextInputStyle,
  type ButtonInteraction,
  type ModalSubmitInteraction,
} from 'discord.js';
import { validateCommand } from '../../command-line/options.js';
import { UserFacingError } from '../../core/errors.js';
import { msg, render } from '../../core/messages.js';
import { describeReply } from '../../core/present.js';
import { hasVideo } from '../../core/types.js';
import { extendModal } from './board-forms.js';
import { jobCustomId, parseJobCustomId, REMIX_PROMPT_FIELD } from './custom-ids.js';
import { actorOf, answerEphemeral, deferAnswer, markupFor, notInServer, sentenceFor, type DiscordDeps } from './interaction-context.js';
import { launchJob, threadToJoin } from './launch-job.js';

export async function handleJobButton(deps: DiscordDeps, interaction: ButtonInteraction): Promise<void> {
  const { studio, logger } = deps;
  const parsed = parseJobCustomId(interaction.customId);
  if (!parsed) return answerEphemeral(interaction, render(msg('control.unsupported', { what: 'button', use: '/sora status' }), markupFor(interaction)), logger);
  const actor = actorOf(interaction, deps.places);
  if (!actor) return answerEphemeral(interaction, notInServer(interaction), logger);
  try {
    switch (parsed.action) {
      case 'cancel': {
        const job = await studio.cancel(actor, parsed.jobId);
        await interaction.reply({ content: describeReply({ kind: 'cancelled', job }, markupFor(interaction)), flags: MessageFlags.Ephemeral });
        return;
      }
      case 'remix': {
        const job = await studio.job(actor, parsed.jobId);
        if (!hasVideo(job)) throw new UserFacingError(msg('remix.not_finished', { jobId: job.id }), { code: 'not_finished' });
        // A modal must be the first answer to the click: no defer, no REST call before it.
        const modal = new ModalBuilder()
          .setCustomId(jobCustomId('remix', job.id))
          .setTitle(render(msg('form.remix-title'), markupFor(interaction)))
          .addComponents(
            new ActionRowBuilder<TextInputBuilder>().addComponents(
              new TextInputBuilder()
                .setCustomId(REMIX_PROMPT_FIELD)
                .setLabel(render(msg('form.remix-prompt'), markupFor(interaction)))
                .setStyle(TextInputStyle.Paragraph)
                .setMinLength(3)
                .setMaxLength(2000)
                .setValue(job.input.prompt.slice(0, 2000))
                .setRequired(true),
            ),
          );
        await interaction.showModal(modal);
        return;
      }
      case 'extend': {
        const job = await studio.job(actor, parsed.jobId);
        if (!hasVideo(job)) throw new UserFacingError(msg('extend.not_yet', { jobId: job.id }), { code: 'not_finished' });
        // As for Remix: the form is the first answer; /sora extend's checks run on its submit.
        await interaction.showModal(extendModal(jobCustomId('extend', job.id), job.seconds, markupFor(interaction)));
        return;
      }
      case 'keep': {
        // Public in the thread: everyone following the takes sees which one is kept.
        const job = await studio.keep(actor, parsed.jobId);
        await interaction.reply({ content: describeReply({ kind: 'kept', job }, markupFor(interaction)), allowedMentions: { parse: [] } });
        return;
      }
      case 'approve':
      case 'deny': {
        // Anyone in the thread sees the buttons (Discord shows a message's buttons to all); the core refuses
        // whoever may not decide, and of two clicks at once only the first decides (job-approval.ts).
        // Whether they are the only admin may take a paged member list: answered after a private defer.
        await deferAnswer(deps, interaction, true);
        const decider = await deps.admins.decider(actor, interaction.guildId!);
        const job = parsed.action === 'approve' ? await studio.team.approve(decider, parsed.jobId) : await studio.team.deny(decider, parsed.jobId, undefined);
        await interaction.editReply({ content: describeReply({ kind: 'decided', job }, markupFor(interaction)) });
        return;
      }
      case 'retry': {
        const job = await studio.job(actor, parsed.jobId);
        return launchJob(deps, interaction, {
          threadId: threadToJoin(job, interaction),
          launch: (surface, openSurface) => studio.launch(actor, { surface, input: { ...job.input, remixOf: undefined } }, openSurface),
        });
      }
    }
  } catch (error) {
    await answerEphemeral(interaction, sentenceFor(error, logger, { button: interaction.customId }, markupFor(interaction)), logger);
  }
}

export async function handleRemixModal(deps: DiscordDeps, interaction: ModalSubmitInteraction): Promise<void> {
  const { studio, logger } = deps;
  const parsed = parseJobCustomId(interaction.customId);
  const actor = actorOf(interaction, deps.places);
  if (!parsed || parsed.action !== 'remix' || !actor) return answerEphemeral(interaction, render(msg('control.unsupported', { what: 'form', use: '/sora remix' }), markupFor(interaction)), logger);
  try {
    // The modal's text is user input like any option: same zod schema as /sora remix.
    const command = validateCommand('sora', 'remix', { job: parsed.jobId, prompt: interaction.fields.getTextInputValue(REMIX_PROMPT_FIELD) }, 'form');
    const original = await studio.job(actor, parsed.jobId);
    return launchJob(deps, interaction, {
      threadId: threadToJoin(original, interaction),
      launch: (surface, openSurface) => studio.launch(actor, { surface, remixOf: parsed.jobId, prompt: String(command.options.prompt) }, openSurface),
    });
  } catch (error) {
    await answerEphemeral(interaction, sentenceFor(error, logger, { modal: interaction.customId }, markupFor(interaction)), logger);
  }
}
