/**
 * What every Discord handler needs: the adapter's shared dependencies, the
 * actor behind an interaction, its options run through the shared zod
 * validation, and one way to answer with a plain ephemeral sentence.
 */
import {
  ApplicationCommandOptionType,
  MessageFlags,
  type ChatInputCommandInteraction,
  type CommandInteractionOption,
  type Interaction,
  type REST,
  type RepliableInteraction,
} from 'discord.js';
import type { ParsedCommand } from '../../../commands/spec.js';
import type { Config } from '../../config.js';
import { CommandInputError, validateCommand } from '../../command-line/options.js';
import type { Clock } from '../../core/clock.js';
import { UserFacingError } from '../../core/errors.js';
import { discordMarkdown, inLocale, type Markup } from '../../core/markup.js';
import { msg, render, resolveLocale } from '../../core/messages.js';
import type { Studio } from '../../core/studio.js';
import { tenantId, type Actor } from '../../core/types.js';
import type { Logger } from '../../log.js';
import type { AfterAckGate } from '../after-ack.js';
import type { BotMediaStore } from '../../media/media-store.js';
import { WITHDRAWN_PLACEHOLDER, type HttpInteractions } from './http-interactions.js';
import { ALREADY_ACKNOWLEDGED, discordCode, UNKNOWN_INTERACTION } from './api-errors.js';
import { isServerAdmin } from './permissions.js';
import type { DiscordAdmins } from './sole-admin.js';
import { placeOf, type DiscordPlaceAccess } from './place-access.js';
import { clip } from './render.js';

export interface DiscordDeps {
  studio: Studio;
  rest: REST;
  clock: Clock;
  logger: Logger;
  media: BotMediaStore;
  config: Config;
  applicationId: string;
  /** Who can see which channel: the core's `actor.canSee` (place-access.ts). */
  places: DiscordPlaceAccess;
  /** What runs after an interaction's defer (after-ack.ts). */
  afterAck: AfterAckGate;
  /** Whether an admin deciding on their own video is the server's only admin (sole-admin.ts). */
  admins: DiscordAdmins;
  /** Interactions that arrived over HTTP: their defer is written into the waiting response (http-interactions.ts). */
  overHttp?: Pick<HttpInteractions, 'defer'>;
}

/**
 * The defer, whichever way the interaction came. Over HTTP, while its request waits, the defer is that
 * request's response, written directly; discord.js then records it as it does after its own
 * `deferReply` (InteractionResponses#deferReply sets `deferred` and `ephemeral`), so the
 * edits and follow-ups that come after go through REST exactly as on the gateway.
 */
export async function deferAnswer(deps: Pick<DiscordDeps, 'overHttp'>, interaction: RepliableInteraction, ephemeral = false): Promise<void> {
  if (!interaction.deferred && !interaction.replied && deps.overHttp?.defer(interaction.id, ephemeral)) {
    interaction.deferred = true;
    interaction.ephemeral = ephemeral;
    return;
  }
  await interaction.deferReply(ephemeral ? { flags: MessageFlags.Ephemeral } : {});
}

/**
 * Budgets, characters and jobs belong to a Discord server: the tenant is `discord:<guild id>`.
 * Jobs are seen where they were made: the interaction's channel is the actor's place.
 */
export function actorOf(interaction: Interaction, places: DiscordPlaceAccess): Actor | undefined {
  if (!interaction.guildId) return undefined;
  const member = interaction.member;
  const displayName =
    (member && 'nick' in member && typeof member.nick === 'string' && member.nick) ||
    interaction.user.globalName ||
    interaction.user.username;
  return {
    tenant: tenantId('discord', interaction.guildId),
    userId: interaction.user.id,
    displayName,
    isAdmin: isServerAdmin(interaction.memberPermissions),
    groups: rolesOf(member),
    place: placeOf(interaction),
    canSee: places.forInteraction(interaction),
  };
}

/**
 * The member's role ids, for `/settings access`: a cached GuildMember keeps them in a manager, the raw
 * interaction member (discord.com/developers/docs/resources/guild#guild-member-object) as an array of ids.
 */
function rolesOf(member: Interaction['member']): string[] {
  if (!member) return [];
  const roles = member.roles as unknown;
  if (Array.isArray(roles)) return roles.filter((r): r is string => typeof r === 'string');
  const cache = (roles as { cache?: Map<string, unknown> } | undefined)?.cache;
  return cache ? [...cache.keys()] : [];
}

/**
 * Discord's markup in the language of the person who interacted: Discord sends
 * their client's locale with every interaction (`locale`, e.g. `ko`;
 * discord.com/developers/docs/interactions/receiving-and-responding#interaction-object).
 */
export function markupFor(interaction: Interaction): Markup {
  return inLocale(discordMarkdown, resolveLocale(interaction.locale));
}

/** The answer outside a server (a DM), in the asker's language. */
export function notInServer(interaction: Interaction): string {
  return render(msg('not_in_server'), markupFor(interaction));
}

/** Discord's typed option values, flattened to `{name: value}` for `validateCommand`. */
export function rawOptions(options: readonly CommandInteractionOption[]): { subcommand: string | undefined; raw: Record<string, unknown> } {
  const sub = options.find((o) => o.type === ApplicationCommandOptionType.Subcommand);
  const list = sub ? (sub.options ?? []) : options;
  const raw: Record<string, unknown> = {};
  for (const o of list) raw[o.name] = o.value;
  return { subcommand: sub?.name, raw };
}

/** Every Discord option passes the same zod schemas the text parser uses. */
export function parseCommand(interaction: ChatInputCommandInteraction): ParsedCommand {
  const { subcommand, raw } = rawOptions(interaction.options.data);
  return validateCommand(interaction.commandName, subcommand, raw, 'discord');
}

/** Downloads an attachment option to a local file, under the media store's size, type and address rules. */
/**
 * Fetches an attached file to a hand-over file and records it in `handedOver`:
 * the core moves what it keeps into the team's folder, and the caller discards
 * whatever is left once the command is answered, so a refused request keeps nothing.
 */
export function attachmentResolver(deps: DiscordDeps, interaction: ChatInputCommandInteraction, handedOver: string[]) {
  return async (value: string, kind: 'video' | 'image'): Promise<string> => {
    const attachment = interaction.options.resolved?.attachments?.get(value);
    if (!attachment) throw new UserFacingError(msg('attachment.missing'), { code: 'no_attachment' });
    const max = deps.config.MAX_SOURCE_MB * 1024 * 1024;
    if (attachment.size > max) {
      throw new UserFacingError(msg('attachment.too_big', { sizeMiB: attachment.size / 1024 / 1024, maxMiB: deps.config.MAX_SOURCE_MB }), { code: 'too_big' });
    }
    const saved = await deps.media.fetchSource(attachment.url, kind);
    handedOver.push(saved.path);
    return saved.path;
  };
}

/** The sentence a person sees for a failure, in their language (`markupFor`): never a stack trace or provider wording. */
export function sentenceFor(error: unknown, logger: Logger, context: Record<string, unknown>, m: Markup): string {
  if (error instanceof CommandInputError) return error.usage ? `${error.userMessage}\nUsage: ${error.usage.split('\n')[0]}` : error.userMessage;
  if (error instanceof UserFacingError) return error.sentence(m);
  logger.error({ err: error, ...context }, 'Discord interaction failed');
  return render(msg('internal'), m);
}

type Answerable = Extract<Interaction, { reply: unknown }>;

/**
 * Answers with an ephemeral sentence whatever state the interaction is in. After an ephemeral defer the
 * sentence replaces the placeholder. After a public defer whose "thinking…" message is still unfilled, a
 * follow-up would fill that public message and lose its ephemeral flag
 * (https://discord.com/developers/docs/interactions/receiving-and-responding#create-followup-message), so the
 * placeholder is withdrawn instead (`withdrawPublicPlaceholder`). Once the reply shows something, the
 * sentence is an ephemeral follow-up of its own.
 */
export async function answerEphemeral(interaction: Answerable, content: string, logger: Logger): Promise<void> {
  const text = clip(content);
  try {
    if (interaction.deferred && interaction.ephemeral) await interaction.editReply({ content: text });
    else if (interaction.deferred && !interaction.replied) await withdrawPublicPlaceholder(interaction, text, logger);
    else if (interaction.deferred || interaction.replied) await interaction.followUp({ content: text, flags: MessageFlags.Ephemeral });
    else await interaction.reply({ content: text, flags: MessageFlags.Ephemeral });
  } catch (error) {
    const code = discordCode(error);
    // Late (10062) or already answered (40060): nothing more can be said through this interaction.
    if (code === UNKNOWN_INTERACTION || code === ALREADY_ACKNOWLEDGED) logger.info({ code, interaction: interaction.id }, 'could not answer the interaction');
    else logger.warn({ err: error, interaction: interaction.id }, 'could not answer the interaction');
  }
}

/**
 * Says something privately after a public defer: the "thinking…" message is filled with a neutral mark (a
 * filled reply is no longer the one a follow-up would take over), the sentence follows as an ephemeral
 * follow-up, and the public message is removed.
 */
async function withdrawPublicPlaceholder(interaction: Answerable, text: string, logger: Logger): Promise<void> {
  await interaction.editReply({ content: WITHDRAWN_PLACEHOLDER, allowedMentions: { parse: [] } });
  await interaction.followUp({ content: text, flags: MessageFlags.Ephemeral });
  await interaction.deleteReply().catch((error: unknown) => logger.warn({ err: error, interaction: interaction.id }, 'could not remove a withdrawn public placeholder'));
}
