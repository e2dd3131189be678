/**
 * Who a Slack member is: display name and whether they may administer the
 * bot. Workspace admins and owners come from `users.info` (`is_admin`,
 * `is_owner`, `is_primary_owner`); SLACK_ADMIN_USER_IDS adds people who are
 * neither, e.g. a team lead in a large workspace. The same call, with
 * `include_locale`, gives the member's language (`user.locale`, e.g. `ko-KR`;
 * api.slack.com/methods/users.info), which replies are written in. The user
 * groups that `/settings access` names (who may generate or approve) are
 * looked up with `usergroups.users.list` (https://api.slack.com/methods/usergroups.users.list).
 * Whether an admin who decides on their own video is the team's only admin
 * (then they may) comes from `users.list` (https://api.slack.com/methods/users.list,
 * paginated by `cursor`): its active humans who are admins or owners, plus
 * SLACK_ADMIN_USER_IDS, cached a few minutes on the injected clock.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { chatMarkdown, inLocale, type Markup } from '../../core/markup.js';
import { resolveLocale, type Locale } from '../../core/messages.js';
import { tenantId, type Actor, type TenantId } from '../../core/types.js';
import type { Logger } from '../../log.js';

const usersInfoSchema = z.object({
  user: z.object({
    id: z.string(),
    name: z.string().optional(),
    real_name: z.string().optional(),
    is_admin: z.boolean().optional(),
    is_owner: z.boolean().optional(),
    is_primary_owner: z.boolean().optional(),
    /** Present only when asked for with `include_locale`: an IETF tag such as `en-US` or `ko-KR`. */
    locale: z.string().optional(),
    profile: z.object({ display_name: z.string().optional(), real_name: z.string().optional() }).optional(),
  }),
});

interface Member {
  name: string;
  handle: string | undefined;
  isAdmin: boolean;
  locale: Locale;
  fetchedAt: number;
}

/** A promotion or demotion (or a change of language) takes effect within this long without a restart. */
const MEMBER_TTL_MS = 5 * 60_000;

const groupUsersSchema = z.object({ users: z.array(z.string()).default([]) });
const usersListSchema = z.object({
  members: z
    .array(
      z.object({
        id: z.string(),
        deleted: z.boolean().optional(),
        is_bot: z.boolean().optional(),
        is_admin: z.boolean().optional(),
        is_owner: z.boolean().optional(),
        is_primary_owner: z.boolean().optional(),
      }),
    )
    .default([]),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});
/** Slackbot is not flagged `is_bot` in users.list, and is never an admin anyone could ask. */
const SLACKBOT = 'USLACKBOT';

export class SlackMembers {
  private readonly cache = new Map<string, Member>();
  private readonly groupCache = new Map<string, { users: readonly string[]; fetchedAt: number }>();
  private readonly adminsCache = new Map<string, { ids: ReadonlySet<string>; fetchedAt: number }>();

  constructor(
    private readonly client: webApi.WebClient,
    private readonly adminIds: readonly string[],
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** The user group ids the team's rules name (`/settings access --allow`/`--approvers`): only these are looked up. */
    private readonly groupsInUse: (tenant: TenantId) => Promise<readonly string[]> = async () => [],
  ) {}

  async member(teamId: string, userId: string, fallbackName?: string): Promise<Member> {
    const key = `${teamId}:${userId}`;
    const cached = this.cache.get(key);
    if (cached && this.clock.now() - cached.fetchedAt < MEMBER_TTL_MS) return cached;
    let member: Member;
    try {
      const { user } = usersInfoSchema.parse(await this.client.users.info({ user: userId, include_locale: true }));
      member = {
        name: user.profile?.display_name || user.profile?.real_name || user.real_name || user.name || fallbackName || userId,
        handle: user.name,
        isAdmin: Boolean(user.is_admin || user.is_owner || user.is_primary_owner),
        locale: resolveLocale(user.locale),
        fetchedAt: this.clock.now(),
      };
    } catch (error) {
      // Without users.info nobody is promoted to admin: failing closed is the safe side.
      this.logger.warn({ err: error, user: userId }, 'slack users.info failed');
      return { name: fallbackName ?? userId, handle: undefined, isAdmin: this.adminIds.includes(userId), locale: 'en', fetchedAt: 0 };
    }
    if (this.adminIds.includes(userId)) member.isAdmin = true;
    this.cache.set(key, member);
    return member;
  }

  async actor(teamId: string, userId: string, fallbackName?: string): Promise<Actor> {
    const m = await this.member(teamId, userId, fallbackName);
    const tenant = tenantId('slack', teamId);
    return { tenant, userId, displayName: m.name, isAdmin: m.isAdmin, groups: await this.groupsOf(tenant, userId) };
  }

  /** The actor of a decision on a waiting video, with `soleAdmin` when they are the team's only admin. */
  async decider(teamId: string, actor: Actor): Promise<Actor> {
    if (!actor.isAdmin) return actor;
    const admins = await this.admins(teamId);
    return { ...actor, soleAdmin: admins !== undefined && admins.size === 1 && admins.has(actor.userId) };
  }

  /** The team's admins: humans flagged admin or owner, and the configured ones. Undefined when Slack cannot say. */
  private async admins(teamId: string): Promise<ReadonlySet<string> | undefined> {
    const cached = this.adminsCache.get(teamId);
    if (cached && this.clock.now() - cached.fetchedAt < MEMBER_TTL_MS) return cached.ids;
    const ids = new Set(this.adminIds);
    try {
      let cursor: string | undefined;
      do {
        const page = usersListSchema.parse(await this.client.users.list({ limit: 200, ...(cursor && { cursor }) }));
        for (const u of page.members) {
          if (!u.deleted && !u.is_bot && u.id !== SLACKBOT && (u.is_admin || u.is_owner || u.is_primary_owner)) ids.add(u.id);
        }
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
    } catch (error) {
      // Not knowing counts as "not the only admin": another admin decides, as the refusal says.
      this.logger.warn({ err: error, team: teamId }, 'slack users.list failed');
      return undefined;
    }
    this.adminsCache.set(teamId, { ids, fetchedAt: this.clock.now() });
    return ids;
  }

  /** The named user groups this member is in. A group Slack cannot list counts as not joined: failing closed. */
  private async groupsOf(tenant: TenantId, userId: string): Promise<string[]> {
    const ids = await this.groupsInUse(tenant);
    const mine: string[] = [];
    for (const id of ids) if ((await this.groupUsers(id)).includes(userId)) mine.push(id);
    return mine;
  }

  private async groupUsers(groupId: string): Promise<readonly string[]> {
    const cached = this.groupCache.get(groupId);
    if (cached && this.clock.now() - cached.fetchedAt < MEMBER_TTL_MS) return cached.users;
    try {
      const { users } = groupUsersSchema.parse(await this.client.usergroups.users.list({ usergroup: groupId }));
      this.groupCache.set(groupId, { users, fetchedAt: this.clock.now() });
      return users;
    } catch (error) {
      this.logger.warn({ err: error, usergroup: groupId }, 'slack usergroups.users.list failed');
      return [];
    }
  }

  /** Slack's markup in the member's language (English when Slack does not say). */
  async markup(teamId: string, userId: string): Promise<Markup> {
    return inLocale(chatMarkdown, (await this.member(teamId, userId)).locale);
  }

  /** The member's handle, for turning a bare `<@U…>` back into the word that was typed. */
  async handle(teamId: string, userId: string): Promise<string | undefined> {
    return (await this.member(teamId, userId)).handle;
  }
}
