/**
 * Can this member see that conversation? Answers the core's `actor.canSee`
 * for a job made in another Slack conversation of the same workspace: only
 * its members can, which for a private channel is exactly who Slack lets in.
 * Membership comes from `conversations.members`
 * (https://api.slack.com/methods/conversations.members, paginated by cursor)
 * and is cached for a minute on the injected clock. A DM (`D…` id) is one
 * member's own: the core shows its jobs to their requester only.
 */
import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import type { Actor, Place } from '../../core/types.js';
import type { Logger } from '../../log.js';
import { TtlCache } from '../ttl-cache.js';

export const MEMBERSHIP_TTL_MS = 60_000;
/** A runaway cursor must not loop forever: 50 pages of 1000 is a 50,000-member channel. */
const MAX_PAGES = 50;

const membersPageSchema = z.object({
  members: z.array(z.string()).default([]),
  response_metadata: z.object({ next_cursor: z.string().optional() }).optional(),
});

/** Slack conversation ids start with D for a direct message with the bot, C or G for channels and group DMs. */
export function slackPlace(channel: string): Place {
  return { kind: channel.startsWith('D') ? 'dm' : 'channel', id: channel };
}

export class SlackPlaceAccess {
  private readonly members: TtlCache<ReadonlySet<string>>;

  constructor(
    private readonly client: webApi.WebClient,
    clock: Clock,
    private readonly logger: Logger,
  ) {
    this.members = new TtlCache(clock, MEMBERSHIP_TTL_MS);
  }

  /** The actor as seen from `channel`: jobs of that conversation, and of those the member is in. */
  actorIn(actor: Actor, channel: string): Actor {
    return { ...actor, place: slackPlace(channel), canSee: (place) => this.canSee(actor.userId, place) };
  }

  async canSee(userId: string, place: Place): Promise<boolean> {
    if (place.kind !== 'channel') return false;
    try {
      return (await this.members.get(place.id, () => this.load(place.id))).has(userId);
    } catch (error) {
      // Not in the channel any more, archived, or Slack is down: fail closed.
      this.logger.info({ err: error, channel: place.id }, 'could not read channel members to check who sees a job');
      return false;
    }
  }

  private async load(channel: string): Promise<ReadonlySet<string>> {
    const members = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = membersPageSchema.parse(await this.client.conversations.members({ channel, limit: 1000, ...(cursor ? { cursor } : {}) }));
      for (const m of answer.members) members.add(m);
      cursor = answer.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    return members;
  }
}
