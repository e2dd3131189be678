/**
 * The schema, as numbered migrations that run at start. Kysely's Migrator
 * records what ran in `kysely_migration` and, on Postgres, holds an advisory
 * lock (`pg_advisory_lock`) while it migrates, so processes that start together
 * migrate once and the others wait for the result
 * (https://kysely.dev/docs/migrations#postgresql-migration-locking).
 * Migrations are append-only: a released one is never edited.
 */
import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { SqlEngine } from './database.js';

const money = 'bigint';

/** The migrations, in order; `engine` for what the two dialects spell differently. */
const migrationsFor = (engine: SqlEngine): Record<string, Migration> => ({
  '0001_ledger_and_jobs': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('ledger_months')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('spent', money, (c) => c.notNull().defaultTo(0))
        .addColumn('reserved', money, (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('ledger_months_pk', ['tenant', 'month'])
        .execute();
      await db.schema
        .createTable('ledger_members')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('spent', money, (c) => c.notNull().defaultTo(0))
        .addColumn('reserved', money, (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('ledger_members_pk', ['tenant', 'month', 'user_id'])
        .execute();
      await db.schema
        .createTable('reservations')
        .addColumn('job_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('micros', money, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('settlements')
        .addColumn('job_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('backend', 'text', (c) => c.notNull())
        .addColumn('price', money, (c) => c.notNull())
        .addColumn('official', money, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('settlements_by_month').on('settlements').columns(['tenant', 'month']).execute();
      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('listed', 'integer', (c) => c.notNull())
        .addColumn('created_at', money, (c) => c.notNull())
        .addColumn('updated_at', money, (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('jobs_recent').on('jobs').columns(['tenant', 'listed', 'created_at']).execute();
      await db.schema.createIndex('jobs_active').on('jobs').columns(['active', 'created_at']).execute();
    },
  },
  '0002_job_owners': {
    // Which replica follows a job, and when each replica was last seen alive: a job whose
    // replica stopped being seen is taken over by another (SqlJobStore.claimActive).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('jobs').addColumn('owner', 'text').execute();
      await db.schema
        .createTable('replicas')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('seen_at', money, (c) => c.notNull())
        .execute();
    },
  },
  '0003_chores': {
    // Work that runs once across the cluster per interval, and which replica last did it (sql-chores.ts).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('chores')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('due_at', money, (c) => c.notNull())
        .addColumn('holder', 'text')
        .execute();
    },
  },
  '0004_cluster_line': {
    // The scheduler's line and running slots shared by the replicas (cluster-scheduler.ts).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('queue_line')
        .addColumn('job_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('backend', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('joined_at', money, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('run_slots')
        .addColumn('job_id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('backend', 'text', (c) => c.notNull())
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('since', money, (c) => c.notNull())
        .execute();
    },
  },
  '0005_keyv_import': {
    // The embedded default moved its ledger and jobs from keyv documents to these tables (keyv-import.ts).
    // A month document keeps totals, not one line per delivered job, so its history comes over as a few
    // settlement lines that each stand for `jobs` deliveries; a settlement made here stands for one.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('settlements').addColumn('jobs', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema
        .createTable('store_imports')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('done_at', money, (c) => c.notNull())
        .addColumn('counts', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0006_audit_entries': {
    // The audit trail, one row per entry (sql-audit-log.ts). `seq` orders a month's entries as they
    // were appended, across replicas: SQLite's rowid alias, a Postgres identity column.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_entries')
        .addColumn('seq', engine === 'postgres' ? 'bigint' : 'integer', (c) =>
          engine === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey(),
        )
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('month', 'text', (c) => c.notNull())
        .addColumn('by_id', 'text', (c) => c.notNull())
        .addColumn('member_id', 'text')
        .addColumn('entry', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_entries_by_month').on('audit_entries').columns(['tenant', 'month', 'seq']).execute();
    },
  },
  '0007_characters_and_settings': {
    // Characters and team settings, which were one keyv document per team changed under an in-process lock:
    // with several replicas two changes at once lost one. A row per character and per team, each with a
    // version that every change compares and bumps (sql-characters.ts, sql-settings.ts).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('characters')
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('characters_pk', ['tenant', 'key'])
        .execute();
      await db.schema
        .createTable('team_settings')
        .addColumn('tenant', 'text', (c) => c.primaryKey())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '0008_boards': {
    // Storyboards, each driven by the replica that owns it (sql-board-store.ts); they were keyv documents
    // that every replica resumed at start (keyv-import-boards.ts brings them over).
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('boards')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull())
        .addColumn('listed', 'integer', (c) => c.notNull())
        .addColumn('owner', 'text')
        .addColumn('created_at', money, (c) => c.notNull())
        .addColumn('updated_at', money, (c) => c.notNull())
        .addColumn('record', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('boards_recent').on('boards').columns(['tenant', 'listed', 'created_at']).execute();
      await db.schema.createIndex('boards_active').on('boards').columns(['active', 'owner']).execute();
    },
  },
  '0009_seen_keys': {
    // Requests and webhooks already handled, until their time is over (sql-seen-keys.ts); they were
    // expiring keyv entries, which two replicas could both find missing at once.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('seen_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', money, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('seen_keys_expiry').on('seen_keys').column('expires_at').execute();
    },
  },
});

/**
 * Brings the schema up to date; throws with the failing migration's name. On Postgres, `schema` is the
 * connection's current schema: Kysely looks for its bookkeeping tables in every schema unless told which.
 */
export async function migrate(db: Kysely<unknown>, engine: SqlEngine, schema?: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrationsFor(engine) }, ...(schema && { migrationTableSchema: schema }) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`Database migration ${failed?.migrationName ?? ''} failed: ${cause}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Test helper and operator aid: the migrations this database has run, in order. */
export async function appliedMigrations(db: Kysely<unknown>): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}
