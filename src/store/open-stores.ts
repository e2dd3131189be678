/**
 * The bot's stores, chosen by STORE_URL. keyv always (src/store/keyv-store.ts),
 * for what it is good at: expiring keys (webhook replay ids) and the documents
 * not moved to tables yet. On SQLite and Postgres the ledger, jobs, audit
 * trail, characters, team settings and storyboards live in tables (src/store/sql), through
 * the same code; Redis has no tables, so there they stay keyv documents
 * (core/ledger.ts, core/job-store.ts, core/audit-log.ts, core/characters.ts,
 * core/tenant-settings.ts, core/board-store.ts). On Postgres
 * several replicas share the tables, with the heartbeat by which a replica takes
 * over the jobs of one that stopped.
 */
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { repeatEvery, systemClock, type Clock } from '../core/clock.js';
import type { KeyValueStore, SeenKeys } from '../core/ports.js';
import type { JobRecord } from '../core/types.js';
import type { Logger } from '../log.js';
import { keyvFileOf, openStore } from './keyv-store.js';
import { KeyValueSeenKeys } from './seen-keys.js';

/** How often expired request ids leave the table: they stop counting at expiry anyway (sql-seen-keys.ts). */
const SEEN_PURGE_MS = 10 * 60_000;
import type { SqlStore } from './sql/index.js';

export interface BotStores {
  store: KeyValueStore;
  /** Request and webhook ids already handled: a table where there are tables (one atomic statement), else keyv. */
  seen: SeenKeys;
  /** The ledger, jobs, characters and settings in tables: on SQLite and Postgres, not on Redis. */
  tables: SqlStore | undefined;
  /** The same tables when other replicas may share them (Postgres): the cluster scheduler, chores and takeovers. */
  cluster: SqlStore | undefined;
  /** This replica's name in the jobs table. */
  replicaId: string;
}

/**
 * Opens the stores; each one's close joins `cleanups` as soon as it is open. `arrivals` (the bot's
 * quiet-turns.ts) lets writes that can wait yield to arriving commands.
 */
export async function openStores(config: Config, clock: Clock, logger: Logger, cleanups: (() => Promise<unknown>)[], arrivals?: { quiet(): Promise<void> }): Promise<BotStores> {
  const store = await openStore(config.storeUrl, { dataDir: config.dataDir, logger, poolSize: config.STORE_POOL_SIZE });
  cleanups.push(() => store.close());
  // Stable across restarts, so a restarted replica picks its own jobs up at once; replicas differ by host or DATA_DIR.
  const replicaId = config.REPLICA_ID ?? `${os.hostname()}:${path.resolve(config.dataDir)}`;
  const engine = /^postgres(ql)?:/i.test(config.storeUrl) ? 'postgres' : /^sqlite:/i.test(config.storeUrl) ? 'sqlite' : undefined;
  if (!engine) return { store, seen: new KeyValueSeenKeys(store), tables: undefined, cluster: undefined, replicaId };
  // The tables' module loads only when used, so a bot on Redis does not carry Kysely.
  const { openSqlStore, importKeyvDocuments, importKeyvAudit, importKeyvTeamDocuments, importKeyvBoards } = await import('./sql/index.js');
  // On SQLite the tables have a file of their own beside keyv's (database.ts `tablesFileOf` says why).
  const tables = await openSqlStore(config.storeUrl, {
    dataDir: config.dataDir,
    logger,
    poolSize: config.STORE_POOL_SIZE,
    clock,
    // Whether a process is alive is a matter of wall time, whatever clock the jobs run on: on a test's
    // manual clock, moved minutes per real second, a live replica looked dead to itself and its peers.
    replica: { id: replicaId, now: () => systemClock.now(), timeoutMs: config.REPLICA_TIMEOUT_SECONDS * 1000 },
  });
  cleanups.push(() => tables.close());
  // One process owns a SQLite file: it remembers request ids in memory and writes them behind (sql-seen-keys.ts).
  const owned = engine === 'sqlite' ? tables.ownedSeenKeys((error) => logger.warn({ err: error }, 'could not write handled request ids'), arrivals && (() => arrivals.quiet())) : undefined;
  if (owned) {
    await owned.load();
    cleanups.push(() => owned.flush());
  }
  const seen = owned ?? tables.seen;
  cleanups.push(repeatEvery(systemClock, SEEN_PURGE_MS, () => seen.purge().catch((error: unknown) => logger.warn({ err: error }, 'could not drop expired request ids'))));
  if (engine === 'sqlite') {
    // One process owns the file: no heartbeat, and at start it claims every unfinished job (SqlJobStore.claimActive).
    // A DATA_DIR from before the tables: its keyv ledger, jobs, characters and settings move over once (keyv-import.ts).
    await importKeyvDocuments(tables.database.db, keyvFileOf(config.storeUrl, config.dataDir), logger);
    await importKeyvAudit(tables.database.db, { engine, keyvFile: keyvFileOf(config.storeUrl, config.dataDir) }, logger);
    await importKeyvBoards(tables.database.db, { engine, keyvFile: keyvFileOf(config.storeUrl, config.dataDir) }, logger);
    return { store, seen, tables, cluster: undefined, replicaId };
  }
  // The audit trail kept as keyv pages in the same database before it was a table (keyv-import-audit.ts).
  await importKeyvAudit(tables.database.db, { engine }, logger);
  // Likewise the characters and team settings, one keyv document per team before they were tables (keyv-import-teams.ts).
  await importKeyvTeamDocuments(tables.database.db, logger);
  // And the storyboards (keyv-import-boards.ts).
  await importKeyvBoards(tables.database.db, { engine }, logger);
  // Runs after the runner has stopped (cleanups run in reverse): the other replicas take this one's jobs at once.
  cleanups.push(() => tables.jobs.forget());
  // Alive from the moment the tables open, on a beat of its own: a replica that is still starting, or busy
  // taking jobs over, must not look dead, or the others would claim back the jobs it just claimed.
  await tables.jobs.heartbeat();
  cleanups.push(
    repeatEvery(systemClock, (config.REPLICA_TIMEOUT_SECONDS * 1000) / 3, () =>
      tables.jobs.heartbeat().catch((error: unknown) => logger.warn({ err: error }, 'replica heartbeat failed')),
    ),
  );
  return { store, seen, tables, cluster: tables, replicaId };
}

/**
 * Replicas: take over the jobs and storyboards of any that stopped saying they are alive (the heartbeat in openStores)
 * (README "Running several replicas"). A dead replica's jobs move within REPLICA_TIMEOUT_SECONDS plus a third.
 * Returns the stop function.
 */
export function replicaTakeovers(
  config: Config,
  tables: SqlStore,
  clock: Clock,
  logger: Logger,
  takeOver: (jobs: JobRecord[], boards: string[]) => Promise<unknown>,
): () => Promise<void> {
  return repeatEvery(clock, (config.REPLICA_TIMEOUT_SECONDS * 1000) / 3, async () => {
    try {
      const orphans = await tables.claimOrphans();
      if (orphans.jobs.length > 0) logger.warn({ jobs: orphans.jobs.map((j) => j.id) }, 'took over the jobs of a replica that is no longer seen');
      if (orphans.boards.length > 0) logger.warn({ boards: orphans.boards }, 'took over the storyboards of a replica that is no longer seen');
      await takeOver(orphans.jobs, orphans.boards);
    } catch (error) {
      logger.warn({ err: error }, 'replica takeover failed');
    }
  });
}
