/**
 * The chat adapters a process runs, chosen by config. Each adapter turns its
 * platform's events into Studio calls and attaches a Surface for job updates.
 * Adapters are started after the Studio exists and before unfinished jobs
 * resume, so a restart can deliver into the right thread.
 */
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { SeenKeys } from '../core/ports.js';
import type { Studio } from '../core/studio.js';
import type { BotHttpServer } from '../http/server.js';
import type { Logger } from '../log.js';
import type { BotMediaStore } from '../media/media-store.js';

export interface ChatAdapterContext {
  config: Config;
  studio: Studio;
  http: BotHttpServer;
  media: BotMediaStore;
  logger: Logger;
  clock: Clock;
  /** Request ids already handled (replay-guard.ts). */
  seen: SeenKeys;
  /** Base URL at which the bot's HTTP server is reachable from outside, if known. */
  publicUrl: string | undefined;
}

export interface ChatAdapterHandle {
  /** `discord`, `slack`: also the readiness check's name on /healthz. */
  name: string;
  /** Connected and able to serve commands. */
  ready(): boolean;
  stop(): Promise<void>;
}

export async function startChatAdapters(ctx: ChatAdapterContext): Promise<ChatAdapterHandle[]> {
  const adapters: ChatAdapterHandle[] = [];
  // Each platform adds its starter here, enabled by its own token (see .env.example).
  void ctx;
  if (ctx.config.DISCORD_TOKEN) adapters.push(await (await import('./discord/discord-adapter.js')).startDiscordAdapter(ctx));
  if (ctx.config.SLACK_BOT_TOKEN) adapters.push(await (await import('./slack/index.js')).startSlackAdapter(ctx));
  return adapters;
}
