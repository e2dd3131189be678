/**
 * What the bot must be allowed to do in a channel before it takes a job there,
 * checked from the interaction's `app_permissions` (no REST call, so it fits in
 * the 3-second acknowledgement window). Checking first means a refused job
 * never reserves budget or leaves a half-open thread.
 */
import { PermissionFlagsBits, type PermissionsBitField } from 'discord.js';

interface Need {
  flag: bigint;
  name: string;
}

const VIEW: Need = { flag: PermissionFlagsBits.ViewChannel, name: 'View Channel' };
const SEND: Need = { flag: PermissionFlagsBits.SendMessages, name: 'Send Messages' };
const CREATE_THREADS: Need = { flag: PermissionFlagsBits.CreatePublicThreads, name: 'Create Public Threads' };
const SEND_IN_THREADS: Need = { flag: PermissionFlagsBits.SendMessagesInThreads, name: 'Send Messages in Threads' };
const ATTACH: Need = { flag: PermissionFlagsBits.AttachFiles, name: 'Attach Files' };
const EMBED: Need = { flag: PermissionFlagsBits.EmbedLinks, name: 'Embed Links' };
const HISTORY: Need = { flag: PermissionFlagsBits.ReadMessageHistory, name: 'Read Message History' };

/** A new job in a text channel: reply, open a thread, post and attach there, and re-read it after a restart. */
export const JOB_IN_CHANNEL: Need[] = [VIEW, SEND, CREATE_THREADS, SEND_IN_THREADS, ATTACH, EMBED, HISTORY];
/** A job started from inside its thread (retry, remix buttons). */
export const JOB_IN_THREAD: Need[] = [VIEW, SEND_IN_THREADS, ATTACH, EMBED, HISTORY];

/** The permission integer for the invite link in README.md "Run on Discord". */
export const BOT_PERMISSIONS_INTEGER = JOB_IN_CHANNEL.reduce((sum, n) => sum | n.flag, 0n);

export function missingPermissions(granted: Readonly<PermissionsBitField>, needs: Need[]): string[] {
  return needs.filter((n) => !granted.has(n.flag)).map((n) => n.name);
}

export function missingPermissionSentence(missing: string[]): string {
  const list = missing.length === 1 ? `the ${missing[0]} permission` : `the ${missing.slice(0, -1).join(', ')} and ${missing.at(-1)} permissions`;
  return `I can't make a video here: I'm missing ${list} in this channel. Ask a server admin to grant ${missing.length === 1 ? 'it' : 'them'} to the bot's role, or use another channel.`;
}

/** Manage Server, the permission Discord server admins already use for bot settings. */
export function isServerAdmin(memberPermissions: Readonly<PermissionsBitField> | null): boolean {
  return memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false;
}
