/** `/sora generate|status|cancel|remix`. */
import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import type { ParsedCommand } from '../../../../commands/spec.js';
import { handleCommand } from '../../../commands/handle-command.js';
import type { Actor, SurfaceRef } from '../../../core/types.js';
import { answerEphemeral, attachmentResolver, sentenceFor, type DiscordDeps } from '../interaction-context.js';
import { launchJob, threadToJoin } from '../launch-job.js';
import { replyMessage } from '../render.js';

export async function handleSora(deps: DiscordDeps, interaction: ChatInputCommandInteraction, command: ParsedCommand, actor: Actor): Promise<void> {
  const { studio, logger } = deps;
  switch (command.subcommand) {
    case 'generate':
      return launchJob(deps, interaction, {
        // An attached image must be downloaded first, which may take longer than Discord's 3 seconds.
        slow: command.options.image !== undefined,
        request: async (surface: SurfaceRef) => {
          const handedOver: string[] = [];
          try {
            const reply = await handleCommand(studio, command, { actor, surface, resolveAttachment: attachmentResolver(deps, interaction, handedOver) });
            if (reply.kind !== 'accepted') throw new Error(`unexpected reply ${reply.kind}`);
            return reply.accepted;
          } finally {
            await deps.media.discard(handedOver);
          }
        },
      });
    case 'remix': {
      // A remix asked for beside the original joins its thread, so variations sit together (see threadToJoin).
      let threadId: string | undefined;
      try {
        const original = await studio.job(actor, String(command.options.job));
        threadId = threadToJoin(original, interaction);
      } catch (error) {
        return answerEphemeral(interaction, sentenceFor(error, logger, { command: 'sora remix' }), logger);
      }
      return launchJob(deps, interaction, {
        threadId,
        request: (surface) => studio.remix(actor, String(command.options.job), String(command.options.prompt), surface),
      });
    }
    case 'status':
    case 'cancel': {
      try {
        const reply = await handleCommand(studio, command, { actor, surface: { platform: 'discord' } });
        // Status is for the asker; a cancellation shows in the job's thread for everyone.
        await interaction.reply({ ...replyMessage(reply), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
      } catch (error) {
        await answerEphemeral(interaction, sentenceFor(error, logger, { command: `sora ${command.subcommand}` }), logger);
      }
      return;
    }
    default:
      return answerEphemeral(interaction, `The bot does not know /sora ${command.subcommand ?? ''}.`, logger);
  }
}
