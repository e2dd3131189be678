/**
 * Wiring only: config → log → store → backends → core → HTTP → adapters.
 * `main.ts` runs this for the process; tests run it in-process with an injected
 * clock and loopback fakes.
 *
 * Slightly over 350 lines on purpose: it holds one concern, the order in which
 * the parts start and stop, and splitting it would scatter that order.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createBackends, noProviderKeys, type ClosableBackend } from './backends/index.js';
import { createConsoleAdapter, type ConsoleAdapter } from './chat/console/console-adapter.js';
import { ConfigError, type Config } from './config.js';
import { repeatEvery, systemClock, type Clock } from './core/clock.js';
import type { KeyValueStore, ProviderStatus, Surface } from './core/ports.js';
import { Studio } from './core/studio.js';
import { startChatAdapters, type ChatAdapterHandle } from './chat/index.js';
import { createBotHttpServer, type BotHttpServer } from './http/server.js';
import { createLogger, type Logger } from './log.js';
import { createMediaStore, type BotMediaStore, type MediaStoreOptions } from './media/media-store.js';
import { parseMediaUrl } from './media/s3-storage.js';
import type { Simulator } from './simulator/server.js';
import { openStore } from './store/keyv-store.js';
import type { ProviderEventBus } from './store/pg-events.js';
import { createWebhookHandler, webhookReceivers } from './webhooks/index.js';

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

/** How long one readiness probe may take before it counts as failed. */
const READINESS_PROBE_MS = 2_000;

function withinMs(probe: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  // Real time on purpose: this bounds a network round trip for an outside health checker.
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([probe.catch(() => false), timeout]).finally(() => clearTimeout(timer));
}

/** MEDIA_URL=s3://… and the SDK's AWS_* variables, or undefined for media in DATA_DIR. */
function s3Options(config: Config): MediaStoreOptions['s3'] {
  const location = config.MEDIA_URL ? parseMediaUrl(config.MEDIA_URL) : undefined;
  if (!location) return undefined;
  return {
    ...location,
    endpoint: config.AWS_ENDPOINT_URL_S3,
    region: config.AWS_REGION,
    credentials:
      config.AWS_ACCESS_KEY_ID && config.AWS_SECRET_ACCESS_KEY ? { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY } : undefined,
  };
}

/** A signing key for file links that survives restarts (links in chat stay valid until they expire). */
async function fileSigningKey(config: Config, store: KeyValueStore): Promise<string> {
  if (config.FILE_SIGNING_KEY) return config.FILE_SIGNING_KEY;
  const existing = await store.get<string>('secrets:file-signing-key');
  if (existing) return existing;
  const key = randomBytes(32).toString('base64url');
  await store.set('secrets:file-signing-key', key);
  return key;
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
    const store = await openStore(config.storeUrl, { dataDir: config.dataDir, logger });
    cleanups.push(() => store.close());
    // On Postgres the ledger and jobs live in tables (src/store/sql), so several replicas can share them;
    // keyv keeps the expiring keys (webhook replay ids) and the documents not yet moved to tables.
    // Stable across restarts, so a restarted replica picks its own jobs up at once; replicas differ by host or DATA_DIR.
    const replicaId = config.REPLICA_ID ?? `${os.hostname()}:${path.resolve(config.dataDir)}`;
    // The tables' module loads only for Postgres (sqlEngineOf's test), so a bot on SQLite does not carry `pg`.
    const tables = /^postgres(ql)?:/i.test(config.storeUrl)
      ? await (await import('./store/sql/index.js')).openSqlStore(config.storeUrl, {
          dataDir: config.dataDir,
          logger,
          replica: { id: replicaId, now: () => clock.now(), timeoutMs: config.REPLICA_TIMEOUT_SECONDS * 1000 },
        })
      : undefined;
    if (tables) cleanups.push(() => tables.close());
    // Runs after the runner has stopped (cleanups run in reverse): the other replicas take this one's jobs at once.
    if (tables) cleanups.push(() => tables.jobs.forget());

    let simulator: Simulator | undefined;
    if (simulatorWanted(config)) {
      // Loaded only when used: a bot with provider keys does not carry the simulator's protocols and schemas.
      const { startSimulator } = await import('./simulator/server.js');
      simulator = await startSimulator({
        clock,
        logger,
        renderMsPerVideoSecond: config.SIMULATOR_SECONDS_PER_VIDEO_SECOND * 1000,
      });
      cleanups.push(() => simulator!.stop());
      logger.info({ url: simulator.url }, 'no provider keys: using the built-in provider simulator');
    }
    const backends = createBackends(config, { clock, logger, simulator });
    cleanups.push(async () => Promise.all(backends.map((b) => b.close?.())));
    if (backends.length === 0) {
      throw new ConfigError([
        'No video backend is configured: set FAL_KEY, GEMINI_API_KEY, KLING_API_KEY (or KLING_ACCESS_KEY+KLING_SECRET_KEY), VIDU_API_KEY, OPENAI_API_KEY or APIYI_API_KEY, or leave every provider key unset (SIMULATOR=auto) to use the built-in simulator.',
      ]);
    }

    let ready = false;
    // What /healthz asks on each call, by check name; more engines (a queue) add theirs here.
    const readinessProbes: Record<string, () => Promise<boolean>> = {
      store: () => store.get('health:probe').then(() => true),
      media: async () => mediaRef !== undefined && mediaRef.storage.check(),
    };
    let mediaRef: BotMediaStore | undefined;
    let adaptersRef: ChatAdapterHandle[] = [];
    let events: ProviderEventBus | undefined;
    const http = createBotHttpServer({
      logger,
      readiness: async () => {
        const checks: Record<string, boolean> = { started: ready };
        // Each probe is a real round trip (a store read, a HEAD on the bucket), bounded so a hung
        // dependency shows as not ready instead of a hung health check.
        const probed = await Promise.all(Object.entries(readinessProbes).map(async ([name, probe]) => [name, await withinMs(probe(), READINESS_PROBE_MS)] as const));
        for (const [name, ok] of probed) checks[name] = ok;
        if (events) checks.providerEvents = events.listening();
        for (const a of adaptersRef) checks[a.name] = a.ready();
        return { ready: ready && Object.values(checks).every(Boolean), checks };
      },
      resolveFileToken: (token) => mediaRef?.verifySignedPath(token),
    });
    const port = await http.listen(config.PORT, config.HTTP_HOST);
    cleanups.push(() => http.close());
    // Providers can only fetch our files through a public URL; the simulator runs beside us.
    const publicUrl = config.PUBLIC_URL ?? (simulator ? `http://127.0.0.1:${port}` : undefined);

    const media = createMediaStore({
      dataDir: config.dataDir,
      logger,
      clock,
      maxResultBytes: config.MAX_RESULT_MB * 1024 * 1024,
      maxSourceBytes: config.MAX_SOURCE_MB * 1024 * 1024,
      teamQuotaBytes: config.TEAM_DISK_QUOTA_MB > 0 ? config.TEAM_DISK_QUOTA_MB * 1024 * 1024 : undefined,
      publicUrl,
      signingKey: await fileSigningKey(config, store),
      fetchTimeoutMs: 60_000,
      allowPrivateAddresses: options.allowPrivateSourceUrls ?? false,
      s3: s3Options(config),
    });
    mediaRef = media;
    if (media.storage.kind === 's3' && !(await media.storage.check())) {
      throw new ConfigError([`MEDIA_URL ${config.MEDIA_URL} cannot be reached: check the bucket, AWS_ENDPOINT_URL_S3 and the credentials.`]);
    }
    cleanups.push(async () => media.close());

    const studio = new Studio({
      store,
      clock,
      logger,
      backends,
      media,
      defaults: {
        tenantCapMicros: config.DEFAULT_MONTHLY_BUDGET_USD,
        userCapMicros: config.DEFAULT_USER_MONTHLY_BUDGET_USD,
        policy: config.ROUTING_POLICY,
      },
      referencePriceBackend: config.REFERENCE_PRICE_BACKEND,
      jobDeadlineMs: config.JOB_DEADLINE_MINUTES * 60_000,
      approvalTimeoutMs: config.APPROVAL_TIMEOUT_HOURS * 60 * 60_000,
      concurrency: { perBackend: config.BACKEND_CONCURRENCY, perTenant: config.TENANT_CONCURRENCY },
      publicUrl,
      ...(tables && { ledger: tables.ledger, jobs: tables.jobs }),
    });
    cleanups.push(() => studio.shutdown());
    // Before any adapter can accept a command: what a killed process left half-accepted is settled first.
    await studio.reconcile();

    // --- Provider webhooks (src/webhooks): POST /webhooks/{backend} -------------------
    // A verified delivery wakes the job's loop; the slow safety poll covers lost ones.
    const webhooks = webhookReceivers(
      backends,
      { falJwksUrl: simulator?.falJwksUrl ?? config.FAL_WEBHOOK_JWKS_URL, openaiWebhookSecret: config.OPENAI_WEBHOOK_SECRET },
      clock,
    );
    // With replicas, the job may be followed by another one: tell them all (src/store/pg-events.ts).
    if (tables?.database.pool) {
      const { startPgEventBus } = await import('./store/pg-events.js');
      events = await startPgEventBus({
        url: config.storeUrl,
        pool: tables.database.pool,
        logger,
        origin: replicaId,
        onEvent: (event) => studio.providerEvent(event.backend, event.providerJobId),
      });
      cleanups.push(() => events!.close());
    }
    const onProviderEvent = (backend: string, id: string, status: ProviderStatus | undefined): boolean => {
      if (studio.providerEvent(backend, id, status)) return true;
      events?.publish({ backend, providerJobId: id }).catch((error: unknown) => logger.warn({ err: error, backend, providerJobId: id }, 'could not relay a provider event'));
      return false;
    };
    http.route('POST', '/webhooks/', createWebhookHandler({ receivers: webhooks, store, clock, logger, onEvent: onProviderEvent }));
    // ------------------------------------------------------------------------------------
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
        reportsDir: path.join(config.dataDir, 'reports'),
        ...(logFile && { logFile, historyFile: path.join(config.dataDir, 'console-history') }),
      });
      notice = consoleAdapter.notice;
      cleanups.push(async () => consoleAdapter!.close());
    }

    const adapters = await startChatAdapters({ config, studio, http, media, logger, clock, publicUrl, store });
    adaptersRef = adapters;
    cleanups.push(async () => Promise.all(adapters.map((a) => a.stop())));

    // Surfaces are attached: unfinished jobs from a previous run can deliver again.
    await studio.resume();

    // The retention sweep runs on the injected clock (not setInterval) so tests can move time across
    // the retention period; it also runs once at start, so a bot restarted often still cleans up.
    const retentionMs = config.FILE_RETENTION_DAYS * 24 * 60 * 60_000;
    const sweeps = repeatEvery(clock, FILE_SWEEP_INTERVAL_MS, () =>
      media.removeExpiredFiles(retentionMs, (tenants) => studio.filesInUse(tenants)).catch((error: unknown) => logger.warn({ err: error }, 'file retention sweep failed')),
    );
    cleanups.push(sweeps);

    if (tables) {
      // Replicas: say this one is alive, and take over the jobs of any that stopped saying so
      // (README "Running several replicas"). A dead replica's jobs move within REPLICA_TIMEOUT_SECONDS plus a third.
      const takeovers = repeatEvery(clock, (config.REPLICA_TIMEOUT_SECONDS * 1000) / 3, async () => {
        try {
          await tables.jobs.heartbeat();
          const orphans = await tables.jobs.claimOrphans();
          if (orphans.length > 0) logger.warn({ jobs: orphans.map((j) => j.id) }, 'took over the jobs of a replica that is no longer seen');
          await studio.takeOver(orphans);
        } catch (error) {
          logger.warn({ err: error }, 'replica heartbeat or takeover failed');
        }
      });
      cleanups.push(takeovers);
    }

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
