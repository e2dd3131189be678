/**
 * Kysely's Postgres dialect, with an introspection that looks at the bot's own
 * schema only. Kysely's migrator asks whether its bookkeeping tables exist
 * through `introspection.getTables()`, and Postgres' own introspector reads
 * every schema's columns, calling `pg_get_serial_sequence` on each table: when
 * any schema of the database is dropped while that query runs (another
 * deployment's, or another test's), it fails with `schema "…" does not exist`
 * and the bot does not start. The migrator only needs the names of tables and
 * schemas (kysely/dist/esm/migration/migrator.js `#doesTableExist`), so that is
 * all this reads, from the connection's current schema.
 */
import {
  PostgresDialect,
  sql,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type DatabaseMetadataOptions,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const rows = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(this.db);
    return rows.rows;
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    const rows = await sql<{ name: string; schema: string; kind: string }>`
      select table_name as name, table_schema as schema, table_type as kind
      from information_schema.tables where table_schema = current_schema()`.execute(this.db);
    return rows.rows
      .filter((t) => options.withInternalKyselyTables || !t.name.startsWith('kysely_'))
      .map((t) => ({ name: t.name, schema: t.schema, isView: t.kind === 'VIEW', columns: [] }));
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}

export class OwnSchemaPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db as Kysely<unknown>);
  }
}
