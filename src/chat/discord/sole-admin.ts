/**
 * Is the admin who approves their own video the server's only admin? Only
 * then may they decide on it (team-rules.ts `requireMayDecide`). An admin is
 * what permissions.ts `isServerAdmin` says: Manage Server, which Administrator
 * and ownership imply (https://discord.com/developers/docs/topics/permissions).
 *
 * The server's owner and roles come from GET /guilds/{id}
 * (https://discord.com/developers/docs/resources/guild#get-guild), as the
 * place access (place-access.ts) already reads and caches them; its human
 * members from GET /guilds/{id}/members, up to 1000 a page after the last id
 * (https://discord.com/developers/docs/resources/guild#list-guild-members).
 * That list needs the GUILD_MEMBERS privileged intent; without it Discord
 * answers 403 "Missing Access" (50001), and the admin counts as not the only
 * one, and the refusal says what to do (message code `decide.own_request`).
 * The answer is cached a few minutes on the injected clock, and asked for only
 * when someone decides.
 */
import { PermissionFlagsBits, Routes, type REST } from 'discord.js';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { SoleAdminUnknown } from '../../core/message-codes-errors.js';
import type { Actor } from '../../core/types.js';
import type { Logger } from '../../log.js';
import { TtlCache } from '../ttl-cache.js';
import { discordCode } from './api-errors.js';
import type { Guild } from './place-access.js';

/** A promotion or a new admin counts within this long. */
export const ADMINS_TTL_MS = 5 * 60_000;
/** Discord's answer when the app lacks the intent a route needs. */
export const MISSING_ACCESS = 50001;
const PAGE = 1000;

const membersSchema = z.array(z.object({ user: z.object({ id: z.string(), bot: z.boolean().optional() }), roles: z.array(z.string()).default([]) }));

type Admins = { ids: ReadonlySet<string> } | { unknown: SoleAdminUnknown };

export class DiscordAdmins {
  private readonly cache: TtlCache<Admins>;

  constructor(
    private readonly rest: REST,
    clock: Clock,
    private readonly logger: Logger,
    /** The server's owner and roles: DiscordPlaceAccess.guild, which caches them. */
    private readonly guildOf: (guildId: string) => Promise<Guild | undefined>,
  ) {
    this.cache = new TtlCache(clock, ADMINS_TTL_MS);
  }

  /** The actor of a decision, with `soleAdmin` (or why it is not known) when they are an admin. */
  async decider(actor: Actor, guildId: string): Promise<Actor> {
    if (!actor.isAdmin) return actor;
    const admins = await this.cache.get(guildId, () => this.load(guildId));
    if ('unknown' in admins) return { ...actor, soleAdmin: false, soleAdminUnknown: admins.unknown };
    return { ...actor, soleAdmin: admins.ids.size === 1 && admins.ids.has(actor.userId) };
  }

  private async load(guildId: string): Promise<Admins> {
    try {
      const guild = await this.guildOf(guildId);
      if (!guild) return { unknown: 'unreadable' };
      const manage = PermissionFlagsBits.ManageGuild | PermissionFlagsBits.Administrator;
      const adminRoles = new Set(guild.roles.filter((r) => (BigInt(r.permissions) & manage) !== 0n).map((r) => r.id));
      // @everyone (the role whose id is the server's) holding Manage Server makes every member an admin.
      const everyone = adminRoles.has(guildId);
      const ids = new Set<string>([guild.owner_id]);
      for (let after = '0'; ; ) {
        const query = new URLSearchParams({ limit: String(PAGE), after });
        const page = membersSchema.parse(await this.rest.get(Routes.guildMembers(guildId), { query }));
        for (const m of page) if (!m.user.bot && (everyone || m.roles.some((r) => adminRoles.has(r)))) ids.add(m.user.id);
        if (page.length < PAGE) break;
        after = page[page.length - 1]!.user.id;
      }
      return { ids };
    } catch (error) {
      const intentOff = discordCode(error) === MISSING_ACCESS;
      this.logger.warn({ err: error, guild: guildId, intentOff }, 'could not list the server members to see whether an admin is the only one');
      return { unknown: intentOff ? 'intent_off' : 'unreadable' };
    }
  }
}
