/**
 * The tables behind the ledger and the jobs, as Kysely sees them. Money is
 * integer micro-dollars in BIGINT columns (Postgres) or INTEGER (SQLite); pg
 * returns BIGINT as a string, so every read goes through `Number()`.
 */
import type { Generated } from 'kysely';

/** One row per team and month: the two numbers a reservation is checked against. */
export interface LedgerMonthsTable {
  tenant: string;
  month: string;
  spent: number | string;
  reserved: number | string;
}

/** One row per member of a team and month: the member cap's two numbers, and the name /cost shows. */
export interface LedgerMembersTable {
  tenant: string;
  month: string;
  user_id: string;
  name: string;
  spent: number | string;
  reserved: number | string;
}

/** Money held for a job between acceptance and delivery (or failure). */
export interface ReservationsTable {
  job_id: string;
  tenant: string;
  month: string;
  user_id: string;
  micros: number | string;
}

/** What a delivered job cost: /cost sums these by member and by backend. */
export interface SettlementsTable {
  job_id: string;
  tenant: string;
  month: string;
  user_id: string;
  backend: string;
  price: number | string;
  official: number | string;
  /** Deliveries the line stands for: 1, or more for a month carried over from keyv documents (migration 0005). */
  jobs: Generated<number | string>;
}

/**
 * A job: the record as JSON, plus the columns the queries need. `active` is the
 * set a restarted process resumes; `listed` puts it among the team's recent jobs.
 */
export interface JobsTable {
  id: string;
  tenant: string;
  state: string;
  active: number;
  listed: number;
  created_at: number | string;
  updated_at: number | string;
  record: string;
  /** The replica that follows the job (migration 0002). */
  owner: string | null;
}

/** Each replica's heartbeat. */
export interface ReplicasTable {
  id: string;
  seen_at: number | string;
}

/** Cluster-wide chores: when each may next run, and who ran it last (migration 0003). */
export interface ChoresTable {
  name: string;
  due_at: number | string;
  holder: string | null;
}

/** A job waiting for a provider slot, on any replica (migration 0004). */
export interface QueueLineTable {
  job_id: string;
  tenant: string;
  backend: string;
  owner: string;
  joined_at: number | string;
}

/** A job holding a provider slot, on any replica (migration 0004). */
export interface RunSlotsTable {
  job_id: string;
  tenant: string;
  backend: string;
  owner: string;
  since: number | string;
}

/** One-time imports already done, so a restart never repeats one (migration 0005, keyv-import.ts). */
export interface StoreImportsTable {
  name: string;
  done_at: number | string;
  counts: string;
}

/** One audit entry (migration 0006, sql-audit-log.ts); `entry` is the AuditEntry as JSON. */
export interface AuditEntriesTable {
  seq: Generated<number | string>;
  tenant: string;
  month: string;
  by_id: string;
  member_id: string | null;
  entry: string;
}

/** A team's character, as JSON with its bindings; `version` goes up with every change (migration 0007). */
export interface CharactersTable {
  tenant: string;
  key: string;
  record: string;
  version: number;
}

/** A team's settings as JSON; `version` goes up with every change (migration 0007). */
export interface TeamSettingsTable {
  tenant: string;
  settings: string;
  version: number;
}

/**
 * A storyboard (migration 0008, sql-board-store.ts): the record as JSON plus what the queries use.
 * `active` is the set its owner drives; `listed` puts it among the team's recent boards.
 */
export interface BoardsTable {
  id: string;
  tenant: string;
  state: string;
  active: number;
  listed: number;
  /** The replica that drives the board; null for one imported or left by nobody. */
  owner: string | null;
  created_at: number | string;
  updated_at: number | string;
  record: string;
}

/** A request or webhook already handled, until `expires_at` (migration 0009, sql-seen-keys.ts). */
export interface SeenKeysTable {
  key: string;
  expires_at: number | string;
}

export interface Tables {
  ledger_months: LedgerMonthsTable;
  ledger_members: LedgerMembersTable;
  reservations: ReservationsTable;
  settlements: SettlementsTable;
  jobs: JobsTable;
  replicas: ReplicasTable;
  chores: ChoresTable;
  queue_line: QueueLineTable;
  run_slots: RunSlotsTable;
  store_imports: StoreImportsTable;
  audit_entries: AuditEntriesTable;
  characters: CharactersTable;
  team_settings: TeamSettingsTable;
  boards: BoardsTable;
  seen_keys: SeenKeysTable;
}
