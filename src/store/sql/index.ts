/**
 * The ledger and jobs in tables (Postgres for several replicas; the same code
 * on SQLite). open-stores.ts opens this when STORE_URL is postgres://.
 */
import type { JobRepository, Ledger } from '../../core/ports.js';
import { openSqlDatabase, type SqlDatabase, type SqlOptions } from './database.js';
import { SqlChores } from './sql-chores.js';
import { SqlJobStore, type Replica } from './sql-job-store.js';
import { SqlLedger } from './sql-ledger.js';

export { openSqlDatabase, sqlEngineOf, type SqlDatabase } from './database.js';

export interface SqlStore {
  database: SqlDatabase;
  ledger: Ledger;
  jobs: JobRepository & Pick<SqlJobStore, 'heartbeat' | 'forget' | 'claimOrphans'>;
  /** Work done once across the replicas per interval. */
  chores: SqlChores;
  close(): Promise<void>;
}

export async function openSqlStore(url: string, options: SqlOptions & { replica: Replica }): Promise<SqlStore> {
  const database = await openSqlDatabase(url, options);
  const ledger = new SqlLedger(database.db);
  const jobs = new SqlJobStore(database.db, ledger, options.replica);
  await jobs.heartbeat();
  return { database, ledger, jobs, chores: new SqlChores(database.db, options.replica.id), close: () => database.close() };
}
