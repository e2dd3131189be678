/** `/cost [period] [user]`: the team's spend as an embed. */
import type { ChatInputCommandInteraction } from 'discord.js';
import type { ParsedCommand } from '../../../../commands/spec.js';
import { handleCommand } from '../../../commands/handle-command.js';
import type { Actor } from '../../../core/types.js';
import { answerEphemeral, sentenceFor, type DiscordDeps } from '../interaction-context.js';
import { replyMessage } from '../render.js';

export async function handleCost(deps: DiscordDeps, interaction: ChatInputCommandInteraction, command: ParsedCommand, actor: Actor): Promise<void> {
  try {
    const reply = await handleCommand(deps.studio, command, { actor, surface: { platform: 'discord' } });
    await interaction.reply({ ...replyMessage(reply), allowedMentions: { parse: [] } });
  } catch (error) {
    await answerEphemeral(interaction, sentenceFor(error, deps.logger, { command: 'cost' }), deps.logger);
  }
}
