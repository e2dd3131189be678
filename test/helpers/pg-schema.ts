/**
 * A Postgres schema of its own for one test run, named in the STORE_URL's
 * `options=-c search_path=…` so every connection (the tables, keyv, the
 * listener) lands in it and no leftover from another run is ever seen.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { POSTGRES_URL } from './services.js';

export interface TestSchema {
  name: string;
  /** POSTGRES_URL with this schema first on the search path. */
  url: string;
  drop(): Promise<void>;
}

export async function freshSchema(prefix: string): Promise<TestSchema> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
