/**
 * Starts the real bot in-process (store on a SQLite file, real HTTP backends,
 * real media store) against a simulator the test owns, so the simulator's jobs
 * outlive a bot restart. Time is a ManualClock shared by both.
 */
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { startBot, type RunningBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Surface } from '../../src/core/ports.js';
import type { Actor, BoardEvent, BoardRecord, JobEvent, JobRecord } from '../../src/core/types.js';
import { createLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';

export class RecordingSurface implements Surface {
  readonly platform = 'test';
  readonly progressIntervalMs = 0;
  readonly events: { jobId: string; event: JobEvent }[] = [];
  failNextFinished = 0;

  /** Before each failing attempt (`failNextFinished`), e.g. to take the video off the disk as another replica's would be. */
  onFailedFinish: (job: JobRecord) => Promise<void> = async () => {};

  /** While a video is being posted (the job is `delivering`), e.g. to hold the post open. */
  beforeFinished: (job: JobRecord) => Promise<void> = async () => {};

  async update(job: JobRecord, event: JobEvent): Promise<void> {
    if (event.type === 'finished' && this.failNextFinished > 0) {
      this.failNextFinished--;
      await this.onFailedFinish(job);
      throw new Error('platform unavailable');
    }
    if (event.type === 'finished') await this.beforeFinished(job);
    // A platform reads the video it posts: one that is not on this disk cannot be posted.
    if (event.type === 'finished' && !existsSync(event.path)) throw new Error(`no such file to post: ${event.path}`);
    this.events.push({ jobId: job.id, event });
  }

  readonly boardEvents: { boardId: string; event: BoardEvent }[] = [];

  async updateBoard(board: BoardRecord, event: BoardEvent): Promise<void> {
    this.boardEvents.push({ boardId: board.id, event });
  }

  ofBoard(boardId: string, type?: BoardEvent['type']): BoardEvent[] {
    return this.boardEvents.filter((e) => e.boardId === boardId && (!type || e.event.type === type)).map((e) => e.event);
  }

  of(jobId: string, type?: JobEvent['type']): JobEvent[] {
    return this.events.filter((e) => e.jobId === jobId && (!type || e.event.type === type)).map((e) => e.event);
  }
}

/** Captures every log line, so tests can assert what was (not) logged. */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(chunk.toString());
    done();
  }
  get text(): string {
    return this.lines.join('');
  }
}

export interface TestBot {
  bot: RunningBot;
  clock: ManualClock;
  sim: Simulator;
  surface: RecordingSurface;
  logs: LogCapture;
  dataDir: string;
  env: Record<string, string>;
  /** A new bot process over the same data dir, store and simulator (a restart). */
  restart(): Promise<TestBot>;
  stop(): Promise<void>;
}

export const actor = (tenant: string, userId = 'u1', isAdmin = false, displayName = userId): Actor => ({ tenant, userId, displayName, isAdmin });

export async function startTestBot(
  env: Record<string, string> = {},
  shared: { clock?: ManualClock; sim?: Simulator; dataDir?: string; ownsSim?: boolean; allowPrivateSourceUrls?: boolean } = {},
): Promise<TestBot> {
  const ownsSim = shared.ownsSim ?? !shared.sim;
  const clock = shared.clock ?? new ManualClock();
  const sim = shared.sim ?? (await startSimulator({ clock, renderMsPerVideoSecond: 1000, render: { ffmpegPath: false } }));
  const dataDir = shared.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'bot-e2e-')));
  // A known port, so PUBLIC_URL can point providers (the simulator) at the bot's signed file links.
  const port = await freePort();
  const fullEnv: Record<string, string> = {
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    HTTP_HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    CONSOLE: 'off',
    SIMULATOR: 'off',
    LOG_LEVEL: 'debug',
    OPENAI_API_KEY: 'sk-test-openai-0123456789',
    OPENAI_BASE_URL: sim.openaiBaseUrl,
    APIYI_API_KEY: 'apiyi-test-key-0123456789',
    APIYI_BASE_URL: sim.apiyiBaseUrl,
    ...env,
  };
  const config = loadConfig(fullEnv);
  const logs = new LogCapture();
  const logger = createLogger({ level: 'debug', secrets: config.secrets, destination: logs });
  const surface = new RecordingSurface();
  const bot = await startBot(config, { clock, logger, surfaces: [surface], allowPrivateSourceUrls: shared.allowPrivateSourceUrls ?? true });
  const handle: TestBot = {
    bot,
    clock,
    sim,
    surface,
    logs,
    dataDir,
    env: fullEnv,
    restart: async () => {
      await bot.stop();
      // The restarted bot takes over the simulator: stopping it stops the simulator too.
      return startTestBot({ ...env, PORT: fullEnv.PORT!, PUBLIC_URL: fullEnv.PUBLIC_URL! }, { clock, sim, dataDir, ownsSim });
    },
    stop: async () => {
      await bot.stop();
      if (ownsSim) await sim.stop();
    },
  };
  return handle;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
