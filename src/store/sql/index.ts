/**
 * The ledger, jobs, characters and team settings in tables: on Postgres for
 * several replicas, and the same code on the embedded SQLite file (open-stores.ts
 * opens it for both).
 */
import type { BoardRepository } from '../../core/board-store.js';
import type { CharacterRegistry } from '../../core/characters.js';
import type { JobRepository, Ledger } from '../../core/ports.js';
import type { JobRecord } from '../../core/types.js';
import type { SettingsDefaults, TenantSettingsRepository } from '../../core/tenant-settings.js';
import { openSqlDatabase, type SqlDatabase, type SqlOptions } from './database.js';
import type { AuditLog } from '../../core/audit-log.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/ports.js';
import { ClusterScheduler, type ClusterSchedulerOptions } from './cluster-scheduler.js';
import { SqlAuditLog } from './sql-audit-log.js';
import { SqlBoardStore } from './sql-board-store.js';
import { SqlChores } from './sql-chores.js';
import { SqlJobStore, type Replica } from './sql-job-store.js';
import { SqlCharacterRegistry } from './sql-characters.js';
import { SqlLedger } from './sql-ledger.js';
import { OwnedSeenKeys, SqlSeenKeys } from './sql-seen-keys.js';
import { SqlTenantSettings } from './sql-settings.js';

export { openSqlDatabase, sqlEngineOf, type SqlDatabase } from './database.js';
export { importKeyvDocuments, importKeyvTeamDocuments } from './keyv-import.js';
export { importKeyvAudit } from './keyv-import-audit.js';
export { importKeyvBoards } from './keyv-import-boards.js';

export interface SqlStore {
  database: SqlDatabase;
  ledger: Ledger;
  jobs: JobRepository & Pick<SqlJobStore, 'heartbeat' | 'forget' | 'claimOrphans'>;
  audit: AuditLog;
  characters: CharacterRegistry;
  /** The team settings, falling back to the environment's `defaults`. */
  settings(defaults: SettingsDefaults): TenantSettingsRepository;
  boards: BoardRepository & Pick<SqlBoardStore, 'claimOrphans'>;
  /**
   * The jobs and storyboards of replicas no longer seen alive, claimed for this one in one transaction,
   * so a board and its shots move to the same replica (the one that hears how the shots end).
   */
  claimOrphans(): Promise<{ jobs: JobRecord[]; boards: string[] }>;
  /** Requests and webhooks already handled (the replay guards). */
  seen: SqlSeenKeys;
  /** The same, decided in memory and written behind: for the one process that owns a SQLite file. */
  ownedSeenKeys(onError: (error: unknown) => void, afterArrivals?: () => Promise<void>): OwnedSeenKeys;
  /** Work done once across the replicas per interval. */
  chores: SqlChores;
  /** The scheduler whose limits and line hold across the replicas (cluster-scheduler.ts). */
  scheduler(limits: ClusterSchedulerOptions['limits'], clock: Clock, logger: Logger): ClusterScheduler;
  close(): Promise<void>;
}

/** `clock` dates audit entries (the jobs' clock; a test's manual one). */
export async function openSqlStore(url: string, options: SqlOptions & { replica: Replica; clock?: Clock }): Promise<SqlStore> {
  const database = await openSqlDatabase(url, options);
  const ledger = new SqlLedger(database.db);
  const audit = new SqlAuditLog(database.db, options.clock ?? systemClock);
  const jobs = new SqlJobStore(database.db, ledger, options.replica, audit, database.heartbeatDb);
  const boards = new SqlBoardStore(database.db, options.replica);
  // One process owns a SQLite file: it has no peers to tell it is alive.
  if (database.engine === 'postgres') await jobs.heartbeat();
  // One process owns a SQLite file, so it may keep what it read until it changes it (tenant-cache.ts).
  const cached = database.engine === 'sqlite';
  return {
    database,
    ledger,
    jobs,
    audit,
    characters: new SqlCharacterRegistry(database.db, { cached }),
    settings: (defaults) => new SqlTenantSettings(database.db, defaults, { cached }),
    boards,
    // Jobs first, in every replica alike: a second claimer waits on the first's row locks and then finds nothing.
    claimOrphans: () => database.db.transaction().execute(async (trx) => ({ jobs: await jobs.claimOrphans(trx), boards: await boards.claimOrphans(trx) })),
    seen: new SqlSeenKeys(database.db, options.clock ?? systemClock),
    ownedSeenKeys: (onError, afterArrivals) => new OwnedSeenKeys(database.db, options.clock ?? systemClock, onError, afterArrivals),
    chores: new SqlChores(database.db, options.replica.id),
    scheduler: (limits, clock, logger) => new ClusterScheduler({ db: database.db, replica: options.replica, limits, clock, logger }),
    close: () => database.close(),
  };
}
