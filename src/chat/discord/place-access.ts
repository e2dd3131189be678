/**
 * Can this member see that channel? Answers the core's `actor.canSee` for a
 * job made in another channel of the same server. A job made in channel X is
 * visible from an interaction in X itself at once (the core compares places);
 * from anywhere else only if the member may view X, computed the way Discord
 * does from the server's roles and X's permission overwrites:
 * https://discord.com/developers/docs/topics/permissions#permission-overwrites
 * A thread takes its parent's permissions; a private thread also needs the
 * member in it (https://discord.com/developers/docs/resources/channel#get-thread-member).
 * The bot has only the Guilds intent and no member cache, so the channel and
 * the server's roles are read over REST and cached for a minute.
 */
import { PermissionFlagsBits, Routes, type Interaction, type REST } from 'discord.js';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Place } from '../../core/types.js';
import type { Logger } from '../../log.js';
import { TtlCache } from '../ttl-cache.js';

/** How long a channel's overwrites or the server's roles are trusted. */
export const PLACE_ACCESS_TTL_MS = 60_000;

const THREAD_TYPES = new Set([10, 11, 12]);
const PRIVATE_THREAD = 12;

const overwriteSchema = z.object({ id: z.string(), type: z.union([z.literal(0), z.literal(1)]), allow: z.string(), deny: z.string() });
const channelSchema = z.object({
  id: z.string(),
  type: z.number().int(),
  guild_id: z.string().optional(),
  parent_id: z.string().nullish(),
  permission_overwrites: z.array(overwriteSchema).optional(),
});
const guildSchema = z.object({
  id: z.string(),
  owner_id: z.string(),
  roles: z.array(z.object({ id: z.string(), permissions: z.string() })),
});
type Channel = z.infer<typeof channelSchema>;
/** A server's owner and roles (GET /guilds/{id}). */
export type Guild = z.infer<typeof guildSchema>;

/** The place a Discord interaction happens in: its channel (or thread). */
export function placeOf(interaction: Interaction): Place | undefined {
  return interaction.channelId ? { kind: 'channel', id: interaction.channelId } : undefined;
}

/** Role ids of the interaction's member, whether discord.js gave a cached GuildMember or the raw API member. */
function roleIds(interaction: Interaction): string[] {
  const member = interaction.member as unknown as { roles?: string[] | { cache: Map<string, unknown> } } | null;
  if (!member?.roles) return [];
  return Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
}

export class DiscordPlaceAccess {
  private readonly channels: TtlCache<Channel | undefined>;
  private readonly guilds: TtlCache<Guild | undefined>;
  private readonly threadMembers: TtlCache<boolean>;

  constructor(
    private readonly rest: REST,
    clock: Clock,
    private readonly logger: Logger,
  ) {
    this.channels = new TtlCache(clock, PLACE_ACCESS_TTL_MS);
    this.guilds = new TtlCache(clock, PLACE_ACCESS_TTL_MS);
    this.threadMembers = new TtlCache(clock, PLACE_ACCESS_TTL_MS);
  }

  /** The core's `canSee` for one interaction's member. */
  forInteraction(interaction: Interaction): (place: Place) => Promise<boolean> {
    return (place) => this.canSee(interaction, place);
  }

  async canSee(interaction: Interaction, place: Place): Promise<boolean> {
    if (place.kind !== 'channel' || !interaction.guildId) return false;
    if (place.id === interaction.channelId) return true;
    const channel = await this.channel(place.id);
    if (!channel || channel.guild_id !== interaction.guildId) return false;
    let target = channel;
    if (THREAD_TYPES.has(channel.type)) {
      if (channel.type === PRIVATE_THREAD && !(await this.inThread(channel.id, interaction.user.id))) return false;
      // A public thread is seen by whoever sees its parent.
      if (channel.parent_id === interaction.channelId) return true;
      const parent = channel.parent_id ? await this.channel(channel.parent_id) : undefined;
      if (!parent) return false;
      target = parent;
    }
    // Administrator is a server-wide permission: it shows in the interaction's own permissions.
    if (interaction.memberPermissions?.has(PermissionFlagsBits.Administrator)) return true;
    const guild = await this.guild(interaction.guildId);
    if (!guild) return false;
    return canView(guild, target, interaction.user.id, roleIds(interaction));
  }

  private channel(id: string): Promise<Channel | undefined> {
    return this.channels.get(id, async () => {
      try {
        return channelSchema.parse(await this.rest.get(Routes.channel(id)));
      } catch (error) {
        // 403/404: the bot itself cannot see it, so nobody is shown its jobs through the bot.
        this.logger.info({ err: error, channel: id }, 'could not read a channel to check who sees it');
        return undefined;
      }
    });
  }

  /** The server's owner and roles, cached a minute; undefined when Discord would not say (logged). */
  guild(id: string): Promise<Guild | undefined> {
    return this.guilds.get(id, async () => {
      try {
        return guildSchema.parse(await this.rest.get(Routes.guild(id)));
      } catch (error) {
        this.logger.warn({ err: error, guild: id }, 'could not read the server roles');
        return undefined;
      }
    });
  }

  private inThread(threadId: string, userId: string): Promise<boolean> {
    return this.threadMembers.get(`${threadId}:${userId}`, async () => {
      try {
        await this.rest.get(Routes.threadMembers(threadId, userId));
        return true;
      } catch {
        return false;
      }
    });
  }
}

/** Discord's permission computation, reduced to "may view this channel". */
export function canView(guild: Guild, channel: Channel, userId: string, roles: readonly string[]): boolean {
  if (guild.owner_id === userId) return true;
  const roleMap = new Map(guild.roles.map((r) => [r.id, BigInt(r.permissions)]));
  let perms = roleMap.get(guild.id) ?? 0n; // @everyone's role id is the server's id
  for (const r of roles) perms |= roleMap.get(r) ?? 0n;
  if ((perms & PermissionFlagsBits.Administrator) !== 0n) return true;
  const overwrites = channel.permission_overwrites ?? [];
  const everyone = overwrites.find((o) => o.id === guild.id);
  if (everyone) perms = (perms & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 0 && o.id !== guild.id && roles.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  perms = (perms & ~deny) | allow;
  const own = overwrites.find((o) => o.type === 1 && o.id === userId);
  if (own) perms = (perms & ~BigInt(own.deny)) | BigInt(own.allow);
  return (perms & PermissionFlagsBits.ViewChannel) !== 0n;
}
