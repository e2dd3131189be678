/**
 * The Discord API error codes the adapter reacts to, rather than failing on.
 * https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
 */
import { DiscordAPIError } from 'discord.js';

export const UNKNOWN_CHANNEL = 10003;
/** The status message was deleted by someone: post a new one. */
export const UNKNOWN_MESSAGE = 10008;
export const UNKNOWN_WEBHOOK = 10015;
/** The interaction token is unknown or expired (late callback, or past 15 minutes). */
export const UNKNOWN_INTERACTION = 10062;
/** The interaction was already answered (e.g. a retried callback that did land). */
export const ALREADY_ACKNOWLEDGED = 40060;
export const INVALID_WEBHOOK_TOKEN = 50027;
export const MISSING_PERMISSIONS = 50013;
/** A thread was already started from this message (a board's anchor, by a process that stopped before recording it). */
export const THREAD_ALREADY_CREATED = 160004;

export function discordCode(error: unknown): number | undefined {
  return error instanceof DiscordAPIError && typeof error.code === 'number' ? error.code : undefined;
}

/** The interaction token can no longer be used: fall back to the bot token. */
export function isDeadToken(error: unknown): boolean {
  const code = discordCode(error);
  return code === UNKNOWN_INTERACTION || code === UNKNOWN_WEBHOOK || code === INVALID_WEBHOOK_TOKEN;
}
