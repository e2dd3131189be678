/**
 * What the Discord adapter keeps in a job's SurfaceRef, so a restarted process
 * (new client, no interaction objects) can still find the job's thread, its
 * status message and, while it lives, the interaction token.
 */
import { z } from 'zod';
import type { Clock } from '../../core/clock.js';

/** Discord interaction tokens work for 15 minutes; stop using one a minute early so a slow call cannot straddle the expiry. */
export const INTERACTION_TOKEN_LIFETIME_MS = 15 * 60_000;
const TOKEN_SAFETY_MARGIN_MS = 60_000;

/** Bots may upload 10 MiB per file unless the server is boosted (since 2025-01-16). */
export const DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024;

const snowflake = z.string().regex(/^\d{5,25}$/);

export const discordRefSchema = z.object({
  platform: z.literal('discord'),
  guildId: snowflake,
  /** The channel the command was used in (the thread's parent, or the thread itself). */
  channelId: snowflake,
  applicationId: snowflake,
  requesterId: snowflake,
  threadId: snowflake.optional(),
  statusMessageId: snowflake.optional(),
  /** The message the thread hangs from. */
  replyMessageId: snowflake.optional(),
  interactionToken: z.string().min(1).optional(),
  /** Clock time after which the token is not used any more. */
  tokenExpiresAt: z.number().optional(),
  /** `interaction.attachmentSizeLimit` as Discord sent it for this server. */
  attachmentSizeLimit: z.number().int().positive().default(DEFAULT_ATTACHMENT_LIMIT),
  deliveryMessageId: snowflake.optional(),
  /** The requester's client language (`interaction.locale`), for the notes only they see. */
  locale: z.string().max(16).optional(),
});

export type DiscordRef = z.infer<typeof discordRefSchema>;

export function parseDiscordRef(ref: unknown): DiscordRef {
  return discordRefSchema.parse(ref);
}

export function tokenExpiry(clock: Clock): number {
  return clock.now() + INTERACTION_TOKEN_LIFETIME_MS - TOKEN_SAFETY_MARGIN_MS;
}

export function tokenUsable(ref: DiscordRef, clock: Clock): ref is DiscordRef & { interactionToken: string } {
  return ref.interactionToken !== undefined && ref.tokenExpiresAt !== undefined && clock.now() < ref.tokenExpiresAt;
}
