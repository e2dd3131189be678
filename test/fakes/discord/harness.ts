/**
 * One bot (the real wiring, `startBot`, with the real discord.js client)
 * against the fake Discord and the provider simulator on a ManualClock, and
 * the small helpers the Discord end-to-end tests share.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startBot, type RunningBot } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { ManualClock } from '../../../src/core/clock.js';
import { createLogger, silentLogger } from '../../../src/log.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../../src/simulator/server.js';
import { realWait } from '../../helpers/drive.js';
import type { LogCapture } from '../../helpers/test-bot.js';
import { FakeDiscord, type FakeUser, type InteractionTarget } from './fake-discord.js';

export const GUILD = '900000000000000001';
export const alice: FakeUser = { id: '800000000000000001', username: 'alice' };

export interface Harness {
  clock: ManualClock;
  fake: FakeDiscord;
  sim: Simulator;
  dataDir: string;
  bot: RunningBot;
  start(): Promise<RunningBot>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  msPerVideoSecond: number;
  tokenLifetimeMs?: number;
  /** Overrides of the bot's environment (e.g. DISCORD_PUBLIC_KEY and DISCORD_GATEWAY=off for HTTP interactions). */
  env?: Record<string, string>;
  logs?: LogCapture;
  /** How the simulator renders (`{ ffmpegPath: false }`: no ffmpeg, for tests that never look at the video). */
  render?: SimulatorOptions['render'];
}

/** One bot + fake Discord + simulator; `msPerVideoSecond` sets how long (on the clock) a video takes. */
export async function harness(options: HarnessOptions): Promise<Harness> {
  const clock = new ManualClock();
  const sim = await startSimulator({ clock, renderMsPerVideoSecond: options.msPerVideoSecond, ...(options.render && { render: options.render }) });
  const fake = new FakeDiscord({ clock, ...(options.tokenLifetimeMs ? { tokenLifetimeMs: options.tokenLifetimeMs } : {}) });
  await fake.start();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'discord-test-'));
  const env = {
    PORT: '0',
    HTTP_HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    CONSOLE: 'off',
    SIMULATOR: 'off',
    LOG_LEVEL: 'silent',
    OPENAI_API_KEY: 'sk-test-key-123456',
    OPENAI_BASE_URL: sim.openaiBaseUrl,
    PUBLIC_URL: 'http://127.0.0.1:9',
    DISCORD_TOKEN: 'discord-bot-token-test',
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
    ...options.env,
  };
  const h: Harness = {
    clock,
    fake,
    sim,
    dataDir,
    bot: undefined as unknown as RunningBot,
    async start() {
      const logger = options.logs
        ? createLogger({ level: 'info', secrets: [], destination: options.logs })
        : process.env.DISCORD_TEST_LOG
          ? createLogger({ level: process.env.DISCORD_TEST_LOG, secrets: [] })
          : silentLogger;
      h.bot = await startBot(loadConfig(env), { clock, logger, allowPrivateSourceUrls: true });
      return h.bot;
    },
    async close() {
      await h.bot?.stop();
      await fake.stop();
      await sim.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  await h.start();
  return h;
}

export const target = (channelId: string, user: FakeUser, extra: Partial<InteractionTarget> = {}): InteractionTarget => ({ guildId: GUILD, channelId, user, ...extra });
export const str = (name: string, value: string) => ({ name, type: 3, value });
export const int = (name: string, value: number) => ({ name, type: 4, value });

/** Waits in real time for the bot to answer something that needs no clock movement. The timeout only names a hang; a machine
 * kept busy by other work can take many seconds to answer, so it is generous (it was 5 s, red under load). */
export async function until(predicate: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) return;
    await realWait(5);
  }
  assert.fail(`timed out waiting for ${what}`);
}

export const videosIn = (fake: FakeDiscord, threadId: string) => fake.messagesIn(threadId).filter((m) => m.attachments.some((a) => a.name.endsWith('.mp4')));
