/** `/character create|list|show|delete`. */
import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { ParsedCommand } from '../../../../commands/spec.js';
import { handleCommand } from '../../../commands/handle-command.js';
import type { Actor } from '../../../core/types.js';
import { answerEphemeral, attachmentResolver, sentenceFor, type DiscordDeps } from '../interaction-context.js';
import { replyMessage } from '../render.js';

export async function handleCharacter(deps: DiscordDeps, interaction: ChatInputCommandInteraction, command: ParsedCommand, actor: Actor): Promise<void> {
  const { studio, logger } = deps;
  const handedOver: string[] = [];
  const ctx = { actor, surface: { platform: 'discord' }, resolveAttachment: attachmentResolver(deps, interaction, handedOver) };
  if (command.subcommand === 'create') {
    // Fetching the clip and preparing it can take longer than Discord's 3 seconds, and a refusal
    // must stay private, so the defer is ephemeral (a defer's visibility cannot change later).
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    try {
      const reply = await handleCommand(studio, command, ctx);
      await interaction.editReply({ ...replyMessage(reply), allowedMentions: { parse: [] } });
    } catch (error) {
      await answerEphemeral(interaction, sentenceFor(error, logger, { command: 'character create' }), logger);
    } finally {
      // What the core kept it moved into the team's folder; a refused request keeps nothing.
      await deps.media.discard(handedOver);
    }
    return;
  }
  try {
    const reply = await handleCommand(studio, command, ctx);
    // The list and a character's card are for the team to see; a deletion note is for the one who asked.
    const ephemeral = command.subcommand === 'delete';
    await interaction.reply({ ...replyMessage(reply), ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}), allowedMentions: { parse: [] } });
  } catch (error) {
    await answerEphemeral(interaction, sentenceFor(error, logger, { command: `character ${command.subcommand}` }), logger);
  }
}
