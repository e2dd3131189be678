/**
 * The Discord adapter: a discord.js gateway client that turns interactions
 * into Studio calls and attaches the Discord Surface for job updates.
 * Started by `startChatAdapters` when DISCORD_TOKEN is set.
 */
import { Client, Events, GatewayIntentBits, type ChatInputCommandInteraction, type Interaction } from 'discord.js';
import { findCommand, findSubcommand } from '../../commands/options.js';
import type { ChatAdapterContext, ChatAdapterHandle } from '../index.js';
import { handleAutocomplete } from './autocomplete.js';
import { handleBudget } from './commands/budget.js';
import { handleCharacter } from './commands/character.js';
import { handleCost } from './commands/cost.js';
import { handleSora } from './commands/sora.js';
import { actorOf, answerEphemeral, NOT_IN_SERVER, parseCommand, sentenceFor, type DiscordDeps } from './interaction-context.js';
import { handleJobButton, handleRemixModal } from './job-buttons.js';
import { DiscordPlaceAccess } from './place-access.js';
import { DiscordSurface } from './surface.js';
import { ReplayGuard } from '../replay-guard.js';

/** Longer than an interaction can be answered (15 minutes), so no live interaction is acted on twice. */
const INTERACTION_MEMORY_MS = 20 * 60_000;

export interface DiscordAdapterConfig extends ChatAdapterContext {
  /** discord.js REST retries; tests pass 0 so a failure shows at once. */
  restRetries?: number;
}

const COMMAND_HANDLERS = {
  sora: handleSora,
  character: handleCharacter,
  cost: handleCost,
  budget: handleBudget,
} as const;

async function onChatCommand(deps: DiscordDeps, interaction: ChatInputCommandInteraction): Promise<void> {
  const actor = actorOf(interaction, deps.places);
  if (!actor) return answerEphemeral(interaction, NOT_IN_SERVER, deps.logger);
  let command;
  try {
    command = parseCommand(interaction);
  } catch (error) {
    return answerEphemeral(interaction, sentenceFor(error, deps.logger, { command: interaction.commandName }), deps.logger);
  }
  const spec = findCommand(command.command);
  const sub = spec && command.subcommand ? findSubcommand(spec, command.subcommand) : undefined;
  if ((sub?.permission ?? spec?.permission) === 'admin' && !actor.isAdmin) {
    return answerEphemeral(interaction, 'Only members with the Manage Server permission can do that.', deps.logger);
  }
  const handler = COMMAND_HANDLERS[command.command as keyof typeof COMMAND_HANDLERS];
  if (!handler) return answerEphemeral(interaction, `The bot does not know /${command.command}.`, deps.logger);
  await handler(deps, interaction, command, actor);
}

export async function startDiscordAdapter(ctx: DiscordAdapterConfig): Promise<ChatAdapterHandle> {
  const { config, logger } = ctx;
  const token = config.DISCORD_TOKEN;
  const applicationId = config.DISCORD_APPLICATION_ID;
  if (!token || !applicationId) throw new Error('DISCORD_TOKEN and DISCORD_APPLICATION_ID must both be set to run on Discord.');
  const log = logger.child({ component: 'discord' });
  // Slash commands, buttons and modals arrive as interactions; the Guilds intent is all they need
  // (no privileged intents, no message content).
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: {
      ...(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}),
      ...(ctx.restRetries !== undefined ? { retries: ctx.restRetries } : {}),
    },
  });
  const deps: DiscordDeps = { studio: ctx.studio, rest: client.rest, clock: ctx.clock, logger: log, media: ctx.media, config, applicationId, places: new DiscordPlaceAccess(client.rest, ctx.clock, log) };
  const surface = new DiscordSurface({ rest: client.rest, clock: ctx.clock, logger: log, media: ctx.media, botUserId: () => client.user?.id, capabilities: (id) => ctx.studio.backend(id)?.capabilities });
  ctx.studio.attachSurface(surface);

  const inFlight = new Set<Promise<void>>();
  const seen = new ReplayGuard(ctx.store, 'discord:interaction', INTERACTION_MEMORY_MS);
  client.on(Events.InteractionCreate, (interaction: Interaction) => {
    const task = (async () => {
      // An interaction delivered twice (a gateway resume replaying events, a second process on the
      // same store) must not start a second job: its id is unique per interaction.
      if (!(await seen.first(interaction.id))) return void log.info({ interaction: interaction.id }, 'interaction delivered again; ignored');
      if (interaction.isAutocomplete()) return handleAutocomplete(deps, interaction);
      if (interaction.isChatInputCommand()) return onChatCommand(deps, interaction);
      if (interaction.isButton()) return handleJobButton(deps, interaction);
      if (interaction.isModalSubmit()) return handleRemixModal(deps, interaction);
    })().catch((error: unknown) => log.error({ err: error, interaction: interaction.id }, 'unhandled error in a Discord interaction'));
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  });
  client.on(Events.Error, (error) => log.error({ err: error }, 'Discord client error'));
  client.on(Events.ShardDisconnect, (event) => log.warn({ code: event.code }, 'Discord gateway disconnected'));

  let ready = false;
  const readyOnce = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  client.on(Events.ShardReady, () => (ready = true));
  client.on(Events.ShardDisconnect, () => (ready = false));
  client.on(Events.ShardResume, () => (ready = true));
  await client.login(token);
  await readyOnce;
  ready = true;
  log.info({ user: client.user?.tag }, 'connected to Discord');

  return {
    name: 'discord',
    ready: () => ready,
    async stop() {
      ready = false;
      await Promise.allSettled([...inFlight]);
      await client.destroy();
    },
  };
}
