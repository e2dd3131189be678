/** `/budget show|set`: setting is for members with Manage Server. */
import type { ChatInputCommandInteraction } from 'discord.js';
import type { ParsedCommand } from '../../../../commands/spec.js';
import { handleCommand } from '../../../commands/handle-command.js';
import type { Actor } from '../../../core/types.js';
import { answerEphemeral, sentenceFor, type DiscordDeps } from '../interaction-context.js';
import { replyMessage } from '../render.js';

export async function handleBudget(deps: DiscordDeps, interaction: ChatInputCommandInteraction, command: ParsedCommand, actor: Actor): Promise<void> {
  // default_member_permissions cannot guard one subcommand, and server admins can override it:
  // the bot checks Manage Server itself.
  if (command.subcommand === 'set' && !actor.isAdmin) {
    return answerEphemeral(interaction, 'Only members with the Manage Server permission can change budgets or the routing policy.', deps.logger);
  }
  try {
    const reply = await handleCommand(deps.studio, command, { actor, surface: { platform: 'discord' } });
    await interaction.reply({ ...replyMessage(reply), allowedMentions: { parse: [] } });
  } catch (error) {
    await answerEphemeral(interaction, sentenceFor(error, deps.logger, { command: `budget ${command.subcommand}` }), deps.logger);
  }
}
