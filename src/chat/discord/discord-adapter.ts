/**
 * The Discord adapter: a discord.js client that turns interactions into
 * Studio calls and attaches the Discord Surface for job updates. Interactions
 * arrive over the gateway, over HTTP (DISCORD_PUBLIC_KEY, http-interactions.ts),
 * or both; DISCORD_GATEWAY=off leaves the client on REST only.
 * Started by `startChatAdapters` when DISCORD_TOKEN is set.
 */
import { DefaultRestOptions } from '@discordjs/rest';
import { Client, Events, GatewayIntentBits, Routes, type Interaction } from 'discord.js';
import { z } from 'zod';
import { AFTER_ACK_CONCURRENCY, AfterAckGate } from '../after-ack.js';
import type { ChatAdapterContext, ChatAdapterHandle } from '../index.js';
import { handleAutocomplete } from './autocomplete.js';
import type { DiscordDeps } from './interaction-context.js';
import { createHttpInteractions } from './http-interactions.js';
import { handleBoardButton, handleBoardForm } from './board-commands.js';
import { handleJobButton, handleRemixModal } from './job-buttons.js';
import { DiscordAdmins } from './sole-admin.js';
import { DiscordPlaceAccess } from './place-access.js';
import { defersPublicly, onSlashCommand } from './slash-command.js';
import { DiscordSurface } from './surface.js';
import { ReplayGuard } from '../replay-guard.js';

/** Longer than an interaction can be answered (15 minutes), so no live interaction is acted on twice. */
const INTERACTION_MEMORY_MS = 20 * 60_000;

/** discord.js turns a raw INTERACTION_CREATE into its interaction classes here; not in its public typings. */
interface GatewayClientActions {
  actions: { InteractionCreate: { handle(payload: unknown): void } };
}

const CurrentUser = z.object({ id: z.string() });

export interface DiscordAdapterConfig extends ChatAdapterContext {
  /** discord.js REST retries; tests pass 0 so a failure shows at once. */
  restRetries?: number;
}

export async function startDiscordAdapter(ctx: DiscordAdapterConfig): Promise<ChatAdapterHandle> {
  const { config, logger } = ctx;
  const token = config.DISCORD_TOKEN;
  const applicationId = config.DISCORD_APPLICATION_ID;
  if (!token || !applicationId) throw new Error('DISCORD_TOKEN and DISCORD_APPLICATION_ID must both be set to run on Discord.');
  const gateway = config.DISCORD_GATEWAY === 'on';
  if (!gateway && !config.DISCORD_PUBLIC_KEY) throw new Error('DISCORD_GATEWAY=off needs DISCORD_PUBLIC_KEY: without the gateway, interactions only arrive over HTTP.');
  const log = logger.child({ component: 'discord' });
  // Built before the client: the client's REST answers HTTP interactions through it, and it feeds the client.
  const httpInteractions = config.DISCORD_PUBLIC_KEY
    ? createHttpInteractions({
        publicKey: config.DISCORD_PUBLIC_KEY,
        applicationId,
        clock: ctx.clock,
        logger: log,
        // The same path a gateway INTERACTION_CREATE takes, so every handler serves both transports.
        dispatch: (payload) => (client as unknown as GatewayClientActions).actions.InteractionCreate.handle(payload),
        // (called per request, long after `client` below exists)
        defersPublicly,
        arrivals: ctx.studio.arrivals,
      })
    : undefined;
  // Slash commands, buttons and modals arrive as interactions; the Guilds intent is all they need
  // (no privileged intents, no message content).
  const client: Client = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: {
      ...(config.DISCORD_API_URL ? { api: config.DISCORD_API_URL } : {}),
      ...(ctx.restRetries !== undefined ? { retries: ctx.restRetries } : {}),
      ...(httpInteractions ? { makeRequest: httpInteractions.makeRequest(DefaultRestOptions.makeRequest) } : {}),
    },
  });
  // The token is set before the surface is attached: a job another replica hands over, or one resumed,
  // may update its Discord message before login (gateway) or the REST lookup below (HTTP) completes.
  client.rest.setToken(token);
  let botUserId: string | undefined;
  const places = new DiscordPlaceAccess(client.rest, ctx.clock, log);
  const deps: DiscordDeps = { studio: ctx.studio, rest: client.rest, clock: ctx.clock, logger: log, media: ctx.media, config, applicationId, places, admins: new DiscordAdmins(client.rest, ctx.clock, log, (id) => places.guild(id)), afterAck: new AfterAckGate(AFTER_ACK_CONCURRENCY, ctx.studio.arrivals), overHttp: httpInteractions };
  const surface = new DiscordSurface({ rest: client.rest, clock: ctx.clock, logger: log, media: ctx.media, botUserId: () => client.user?.id ?? botUserId, capabilities: (id) => ctx.studio.backend(id)?.capabilities });
  ctx.studio.attachSurface(surface);

  const inFlight = new Set<Promise<void>>();
  const seen = new ReplayGuard(ctx.seen, 'discord:interaction', INTERACTION_MEMORY_MS);
  client.on(Events.InteractionCreate, (interaction: Interaction) => {
    ctx.studio.arrivals.arrived();
    const task = (async () => {
      // An interaction delivered twice (a gateway resume replaying events, a second process on the
      // same store) must not start a second job: its id is unique per interaction.
      if (!(await seen.first(interaction.id))) return void log.info({ interaction: interaction.id }, 'interaction delivered again; ignored');
      if (interaction.isAutocomplete()) return handleAutocomplete(deps, interaction);
      if (interaction.isChatInputCommand()) return onSlashCommand(deps, interaction);
      if (interaction.isButton()) return (await handleBoardButton(deps, interaction)) ? undefined : handleJobButton(deps, interaction);
      if (interaction.isModalSubmit()) return (await handleBoardForm(deps, interaction)) ? undefined : handleRemixModal(deps, interaction);
    })().catch((error: unknown) => log.error({ err: error, interaction: interaction.id }, 'unhandled error in a Discord interaction'));
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  });
  client.on(Events.Error, (error) => log.error({ err: error }, 'Discord client error'));
  client.on(Events.ShardDisconnect, (event) => log.warn({ code: event.code }, 'Discord gateway disconnected'));

  let ready = false;
  if (gateway) {
    const readyOnce = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    client.on(Events.ShardReady, () => (ready = true));
    client.on(Events.ShardDisconnect, () => (ready = false));
    client.on(Events.ShardResume, () => (ready = true));
    await client.login(token);
    await readyOnce;
    log.info({ user: client.user?.tag }, 'connected to the Discord gateway');
  } else {
    // Without READY the bot learns its own user id from REST (the surface finds its own messages by it).
    botUserId = CurrentUser.parse(await client.rest.get(Routes.user())).id;
  }
  if (httpInteractions) {
    ctx.http.route('POST', '/discord/interactions', httpInteractions.handle);
    log.info({ path: '/discord/interactions', gateway }, 'serving Discord interactions over HTTP');
  }
  ready = true;

  return {
    name: 'discord',
    ready: () => ready,
    async stop() {
      ready = false;
      // Interactions already deferred reach their handlers first, so each gets its answer.
      await httpInteractions?.handedOver();
      await Promise.allSettled([...inFlight]);
      await client.destroy();
    },
  };
}
