/**
 * The ledger and jobs in tables (Postgres for several replicas; the same code
 * on SQLite). app.ts opens this when STORE_URL is postgres://.
 */
import type { JobRepository, Ledger } from '../../core/ports.js';
import { openSqlDatabase, type SqlDatabase, type SqlOptions } from './database.js';
import { SqlJobStore } from './sql-job-store.js';
import { SqlLedger } from './sql-ledger.js';

export { openSqlDatabase, sqlEngineOf, type SqlDatabase } from './database.js';

export interface SqlStore {
  database: SqlDatabase;
  ledger: Ledger;
  jobs: JobRepository;
  close(): Promise<void>;
}

export async function openSqlStore(url: string, options: SqlOptions): Promise<SqlStore> {
  const database = await openSqlDatabase(url, options);
  const ledger = new SqlLedger(database.db);
  return { database, ledger, jobs: new SqlJobStore(database.db, ledger), close: () => database.close() };
}
