/**
 * Wiring only: config → log → store → backends → core → HTTP → adapters.
 * `main.ts` runs this for the process; tests run it in-process with an injected
 * clock and loopback fakes.
 * This file keeps the order in which the parts start and stop; how each part
 * is opened from the configuration lives with the part (src/store/open-stores.ts,
 * src/media/open-media.ts, src/webhooks/mount.ts, src/http/readiness.ts).
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createBackends, noProviderKeys, type ClosableBackend } from './backends/index.js';
import { createConsoleAdapter, type ConsoleAdapter } from './chat/console/console-adapter.js';
import { localeFromEnv } from './core/messages.js';
import { ConfigError, type Config } from './config.js';
import { repeatEvery, systemClock, type Clock } from './core/clock.js';
import type { KeyValueStore, Surface } from './core/ports.js';
import { Studio } from './core/studio.js';
import { QuietTurns } from './core/quiet-turns.js';
import { startChatAdapters, type ChatAdapterHandle } from './chat/index.js';
import { readinessOf } from './http/readiness.js';
import { createBotHttpServer, type BotHttpServer } from './http/server.js';
import { createLogger, type Logger } from './log.js';
import type { BotMediaStore } from './media/media-store.js';
import { openMediaStore } from './media/open-media.js';
import type { Simulator } from './simulator/server.js';
import { openStores, replicaTakeovers } from './store/open-stores.js';
import type { ProviderEventBus } from './store/pg-events.js';
import { mountWebhooks } from './webhooks/mount.js';

/** How often DATA_DIR is swept for files past FILE_RETENTION_DAYS. */
export const FILE_SWEEP_INTERVAL_MS = 60 * 60_000;

export interface BotOptions {
  clock?: Clock;
  logger?: Logger;
  /** Console streams; default stdin/stdout. */
  input?: Readable;
  output?: Writable;
  interactive?: boolean;
  /** Tests only: lets character sources live on 127.0.0.1 fakes. Production never sets it. */
  allowPrivateSourceUrls?: boolean;
  /** Extra surfaces (tests) attached before jobs resume. */
  surfaces?: Surface[];
}

export interface RunningBot {
  config: Config;
  logger: Logger;
  clock: Clock;
  store: KeyValueStore;
  studio: Studio;
  media: BotMediaStore;
  http: BotHttpServer;
  port: number;
  simulator: Simulator | undefined;
  backends: ClosableBackend[];
  console: ConsoleAdapter | undefined;
  adapters: ChatAdapterHandle[];
  stop(): Promise<void>;
}

/** The console's one user: the login name ($USER), or `you` where there is none. */
function consoleUserName(): string {
  let name = process.env.USER;
  try {
    name ||= os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall through to `you`.
  }
  return name && /^[A-Za-z0-9._-]{1,32}$/.test(name) ? name : 'you';
}

/** The console runs when asked, or by default when no chat platform is configured. */
function consoleWanted(config: Config): boolean {
  if (config.CONSOLE !== 'auto') return config.CONSOLE === 'on';
  return !config.DISCORD_TOKEN && !config.SLACK_BOT_TOKEN;
}

function simulatorWanted(config: Config): boolean {
  if (config.SIMULATOR !== 'auto') return config.SIMULATOR === 'on';
  return noProviderKeys(config);
}

export async function startBot(config: Config, options: BotOptions = {}): Promise<RunningBot> {
  const clock = options.clock ?? systemClock;
  // With the console adapter on, stdout belongs to the conversation: logs go to stderr, or, while the console
  // owns a terminal, to DATA_DIR/bot.log with warnings and errors printed above the prompt.
  const logsToStderr = consoleWanted(config);
  const interactive = logsToStderr && (options.interactive ?? Boolean(process.stdin.isTTY && process.stdout.isTTY));
  const logFile = interactive ? path.join(config.dataDir, 'bot.log') : undefined;
  let notice: ((text: string) => void) | undefined;
  const toScreen = (text: string) => (notice ? notice(text) : process.stderr.write(`${text}\n`));
  const logStream = logsToStderr ? process.stderr : process.stdout;
  const logger =
    options.logger ??
    createLogger({
      level: config.LOG_LEVEL,
      secrets: config.secrets,
      pretty: Boolean(logStream.isTTY),
      fd: logsToStderr ? 2 : 1,
      ...(logFile && { file: { path: logFile, screen: toScreen } }),
    });
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((error: unknown) => logger.warn({ err: error }, 'shutdown step failed'));
  };
  try {
    await mkdir(config.dataDir, { recursive: true });
    // Commands arriving: the replay guard's writes and the core's acceptances wait for them to pause (quiet-turns.ts).
    const arrivals = new QuietTurns();
    const { store, seen, tables, cluster, replicaId } = await openStores(config, clock, logger, cleanups, arrivals);

    let simulator: Simulator | undefined;
    const simulated = simulatorWanted(config);
    // How long providers take relative to real ones: the simulator told to render faster than they do
    // (SIMULATOR_SECONDS_PER_VIDEO_SECOND below 1) also prepares characters that much faster and is polled
    // that much sooner; real providers, and a simulator as slow as they are, keep the real schedule.
    const providerPace = simulated ? Math.min(1, Math.max(0.01, config.SIMULATOR_SECONDS_PER_VIDEO_SECOND)) : 1;
    if (simulated) {
      // Loaded only when used: a bot with provider keys does not carry the simulator's protocols and schemas.
      const { startSimulator } = await import('./simulator/server.js');
      simulator = await startSimulator({
        clock,
        logger,
        renderMsPerVideoSecond: config.SIMULATOR_SECONDS_PER_VIDEO_SECOND * 1000,
        pace: providerPace,
      });
      cleanups.push(() => simulator!.stop());
      logger.info({ url: simulator.url }, 'no provider keys: using the built-in provider simulator');
    }
    const backends = createBackends(config, { clock, logger, simulator, providerPace });
    cleanups.push(async () => Promise.all(backends.map((b) => b.close?.())));
    if (backends.length === 0) {
      throw new ConfigError([
        'No video backend is configured: set FAL_KEY, GEMINI_API_KEY, KLING_API_KEY (or KLING_ACCESS_KEY+KLING_SECRET_KEY), VIDU_API_KEY, OPENAI_API_KEY or APIYI_API_KEY, or leave every provider key unset (SIMULATOR=auto) to use the built-in simulator.',
      ]);
    }

    let ready = false;
    let mediaRef: BotMediaStore | undefined;
    let adaptersRef: ChatAdapterHandle[] = [];
    let events: ProviderEventBus | undefined;
    const http = createBotHttpServer({
      logger,
      readiness: readinessOf({
        started: () => ready,
        probes: {
          store: () => store.get('health:probe').then(() => true),
          media: async () => mediaRef !== undefined && mediaRef.storage.check(),
        },
        flags: () => ({ ...(events && { providerEvents: events.listening() }), ...Object.fromEntries(adaptersRef.map((a) => [a.name, a.ready()])) }),
      }),
      resolveFileToken: (token) => mediaRef?.verifySignedPath(token),
    });
    const port = await http.listen(config.PORT, config.HTTP_HOST);
    cleanups.push(() => http.close());
    // Providers can only fetch our files through a public URL; the simulator runs beside us.
    const publicUrl = config.PUBLIC_URL ?? (simulator ? `http://127.0.0.1:${port}` : undefined);

    const media = await openMediaStore(config, {
      logger,
      clock,
      store,
      publicUrl,
      allowPrivateAddresses: options.allowPrivateSourceUrls ?? false,
      created: (opened) => (mediaRef = opened),
    });
    cleanups.push(async () => media.close());

    // With replicas sharing the tables, the concurrency limits and queue positions hold across all of them.
    const concurrency = { perBackend: config.BACKEND_CONCURRENCY, perTenant: config.TENANT_CONCURRENCY };
    const scheduler = cluster?.scheduler({ perBackend: () => concurrency.perBackend, perTenant: concurrency.perTenant }, clock, logger);
    if (scheduler) cleanups.push(() => scheduler.close());
    const defaults = {
      tenantCapMicros: config.DEFAULT_MONTHLY_BUDGET_USD,
      userCapMicros: config.DEFAULT_USER_MONTHLY_BUDGET_USD,
      policy: config.ROUTING_POLICY,
    };
    const studio = new Studio({
      store,
      clock,
      logger,
      backends,
      media,
      defaults,
      referencePriceBackend: config.REFERENCE_PRICE_BACKEND,
      jobDeadlineMs: config.JOB_DEADLINE_MINUTES * 60_000,
      approvalTimeoutMs: config.APPROVAL_TIMEOUT_HOURS * 60 * 60_000,
      concurrency,
      publicUrl,
      ...(tables && { ledger: tables.ledger, jobs: tables.jobs, audit: tables.audit, characters: tables.characters, settings: tables.settings(defaults), boards: tables.boards }),
      ...(scheduler && { scheduler }),
      // Replicas share the tables, which then keep no per-process copy: quotes reuse a team's reads for 2 s.
      ...(cluster && { quoteReadsMs: 2_000 }),
      providerPace,
      arrivals,
    });
    cleanups.push(() => studio.shutdown());
    // Before any adapter can accept a command: what a killed process left half-accepted is settled first.
    await studio.reconcile();

    events = await mountWebhooks({ config, backends, simulator, seen, tables: cluster, replicaId, studio, http, clock, logger, cleanups });
    for (const surface of options.surfaces ?? []) studio.attachSurface(surface);

    let consoleAdapter: ConsoleAdapter | undefined;
    if (consoleWanted(config)) {
      const input = options.input ?? process.stdin;
      consoleAdapter = createConsoleAdapter({
        studio,
        logger,
        input,
        output: options.output ?? process.stdout,
        interactive,
        userName: consoleUserName(),
        locale: localeFromEnv(process.env),
        reportsDir: path.join(config.dataDir, 'reports'),
        ...(logFile && { logFile, historyFile: path.join(config.dataDir, 'console-history') }),
      });
      notice = consoleAdapter.notice;
      cleanups.push(async () => consoleAdapter!.close());
    }

    const adapters = await startChatAdapters({ config, studio, http, media, logger, clock, publicUrl, seen });
    adaptersRef = adapters;
    cleanups.push(async () => Promise.all(adapters.map((a) => a.stop())));

    // Surfaces are attached: unfinished jobs from a previous run can deliver again.
    await studio.resume();

    // The retention sweep runs on the injected clock (not setInterval) so tests can move time across
    // the retention period; it also runs once at start, so a bot restarted often still cleans up.
    const retentionMs = config.FILE_RETENTION_DAYS * 24 * 60 * 60_000;
    // With replicas sharing the tables, one of them sweeps the shared storage per interval (sql-chores.ts) and
    // each sweeps its own copies; alone, this one sweeps everything.
    const sweepTurn = (): Promise<boolean> => (cluster ? cluster.chores.claim('media-retention-sweep', clock.now(), FILE_SWEEP_INTERVAL_MS) : Promise.resolve(true));
    const sweeps = repeatEvery(clock, FILE_SWEEP_INTERVAL_MS, () =>
      sweepTurn()
        .then((mine) => media.removeExpiredFiles(retentionMs, (tenants) => studio.filesInUse(tenants), mine ? 'shared and local' : 'local copies'))
        .catch((error: unknown) => logger.warn({ err: error }, 'file retention sweep failed')),
    );
    cleanups.push(sweeps);

    // Liveness runs on wall time (open-stores.ts), so the takeover look does too.
    if (cluster) cleanups.push(replicaTakeovers(config, cluster, systemClock, logger, (jobs, boards) => studio.takeOver(jobs, boards)));

    ready = true;
    if (adapters.length === 0 && !consoleAdapter) {
      // Healthy but idle is the worst state to miss: say so on every start, where an operator looks first.
      logger.warn(
        'no chat platform to serve: set DISCORD_TOKEN (Discord) or SLACK_BOT_TOKEN (Slack), or CONSOLE=on; until then this bot answers only /healthz',
      );
    }
    consoleAdapter?.start();
    logger.info({ port, backends: backends.map((b) => b.id), simulator: simulator !== undefined }, 'bot ready');
    let stopped: Promise<void> | undefined;
    return {
      config,
      logger,
      clock,
      store,
      studio,
      media,
      http,
      port,
      simulator,
      backends,
      console: consoleAdapter,
      adapters,
      stop: () => {
        ready = false;
        stopped ??= cleanup();
        return stopped;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
