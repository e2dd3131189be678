/**
 * Characters in a table: one row per (team, lower-cased name), the character
 * and its bindings as JSON and a version every change compares and bumps. A name
 * is taken by the primary key, so two `/character create` of one name on two
 * replicas add one; a binding changes by compare-and-set on the version, so a
 * binding set on one replica is never lost to another's write of an older copy.
 */
import type { Kysely } from 'kysely';
import type { CharacterRegistry } from '../../core/characters.js';
import { StoreUnavailable } from '../../core/errors.js';
import type { Character, CharacterBinding, TenantId } from '../../core/types.js';
import type { Tables } from './schema.js';
import { CONFLICT_ATTEMPTS, TenantCache } from './tenant-cache.js';

export class SqlCharacterRegistry implements CharacterRegistry {
  /** Only where this process owns the database (tenant-cache.ts says why). */
  private readonly cache: TenantCache<string[]> | undefined;

  constructor(
    private readonly db: Kysely<Tables>,
    options: { cached: boolean },
  ) {
    this.cache = options.cached ? new TenantCache() : undefined;
  }

  async all(tenant: TenantId): Promise<Map<string, Character>> {
    const load = async () => (await this.db.selectFrom('characters').select('record').where('tenant', '=', tenant).orderBy('key').execute()).map((r) => r.record);
    const records = this.cache ? await this.cache.read(tenant, load) : await load();
    // Parsed per read: callers get a copy of their own.
    return new Map(records.map((record) => JSON.parse(record) as Character).map((c) => [c.key, c]));
  }

  async get(tenant: TenantId, key: string): Promise<Character | undefined> {
    if (this.cache) return (await this.all(tenant)).get(key);
    const row = await this.row(tenant, key);
    return row && (JSON.parse(row.record) as Character);
  }

  async add(character: Character): Promise<boolean> {
    try {
      const added = await this.db
        .insertInto('characters')
        .values({ tenant: character.tenant, key: character.key, record: JSON.stringify(character), version: 1 })
        .onConflict((c) => c.columns(['tenant', 'key']).doNothing())
        .executeTakeFirst();
      return added.numInsertedOrUpdatedRows === 1n;
    } finally {
      this.cache?.forget(character.tenant);
    }
  }

  async remove(tenant: TenantId, key: string): Promise<Character | undefined> {
    try {
      const row = await this.db.deleteFrom('characters').where('tenant', '=', tenant).where('key', '=', key).returning('record').executeTakeFirst();
      return row && (JSON.parse(row.record) as Character);
    } finally {
      this.cache?.forget(tenant);
    }
  }

  async setBinding(tenant: TenantId, key: string, backend: string, binding: CharacterBinding): Promise<void> {
    await this.change(tenant, key, undefined, (c) => {
      c.bindings[backend] = binding;
      return { write: true, result: undefined };
    });
  }

  async dropBinding(tenant: TenantId, key: string, backend: string, stale: CharacterBinding): Promise<boolean> {
    return this.change(tenant, key, false, (c) => {
      if (JSON.stringify(c.bindings[backend]) !== JSON.stringify(stale)) return { write: false, result: false };
      delete c.bindings[backend];
      return { write: true, result: true };
    });
  }

  private row(tenant: TenantId, key: string) {
    return this.db.selectFrom('characters').select(['record', 'version']).where('tenant', '=', tenant).where('key', '=', key).executeTakeFirst();
  }

  /** Read, change, and write only if nobody wrote the row meanwhile; else again on the newer row. */
  private async change<T>(tenant: TenantId, key: string, absent: T, mutate: (c: Character) => { write: boolean; result: T }): Promise<T> {
    for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
      const row = await this.row(tenant, key);
      if (!row) return absent;
      const character = JSON.parse(row.record) as Character;
      const { write, result } = mutate(character);
      if (!write) return result;
      try {
        const updated = await this.db
          .updateTable('characters')
          .set({ record: JSON.stringify(character), version: Number(row.version) + 1 })
          .where('tenant', '=', tenant)
          .where('key', '=', key)
          .where('version', '=', row.version)
          .executeTakeFirst();
        if (updated.numUpdatedRows === 1n) return result;
      } finally {
        this.cache?.forget(tenant);
      }
    }
    throw new StoreUnavailable(`character ${key} kept changing under ${CONFLICT_ATTEMPTS} attempts to change it`);
  }
}
