/**
 * Team settings in a table: one row per team, the settings as JSON and a
 * version every change compares and bumps. `update` reads, applies the change
 * and writes only if the version is still the one it read; if another replica
 * wrote meanwhile it applies the change again to the newer settings. So a
 * `/budget set` on one replica and an 80% warning recorded in `alertsGiven` on
 * another both land. An in-process lock keeps this process's own changes of one
 * team from racing each other for nothing.
 */
import type { Kysely } from 'kysely';
import { StoreUnavailable } from '../../core/errors.js';
import { KeyedMutex } from '../../core/keyed-mutex.js';
import { settingsFrom, TenantSettingsBase, type SettingsDefaults, type TenantSettings } from '../../core/tenant-settings.js';
import type { TenantId } from '../../core/types.js';
import type { Tables } from './schema.js';
import { CONFLICT_ATTEMPTS, TenantCache } from './tenant-cache.js';

export class SqlTenantSettings extends TenantSettingsBase {
  private readonly mutex = new KeyedMutex();
  /** Only where this process owns the database (tenant-cache.ts says why). */
  private readonly cache: TenantCache<string | undefined> | undefined;

  constructor(
    private readonly db: Kysely<Tables>,
    defaults: SettingsDefaults,
    options: { cached: boolean },
  ) {
    super(defaults);
    this.cache = options.cached ? new TenantCache() : undefined;
  }

  async get(tenant: TenantId): Promise<TenantSettings> {
    const load = async () => (await this.row(tenant))?.settings;
    const stored = this.cache ? await this.cache.read(tenant, load) : await load();
    // Parsed per read: callers get a copy of their own.
    return settingsFrom(stored === undefined ? undefined : (JSON.parse(stored) as TenantSettings));
  }

  async update(tenant: TenantId, change: (settings: TenantSettings) => void): Promise<TenantSettings> {
    return this.mutex.run(tenant, async () => {
      for (let attempt = 1; attempt <= CONFLICT_ATTEMPTS; attempt++) {
        // Never from the cache: the version compared must be the stored one.
        const row = await this.row(tenant);
        const settings = settingsFrom(row && (JSON.parse(row.settings) as TenantSettings));
        change(settings);
        const text = JSON.stringify(settings);
        try {
          const written = row
            ? (
                await this.db
                  .updateTable('team_settings')
                  .set({ settings: text, version: Number(row.version) + 1 })
                  .where('tenant', '=', tenant)
                  .where('version', '=', row.version)
                  .executeTakeFirst()
              ).numUpdatedRows
            : (await this.db.insertInto('team_settings').values({ tenant, settings: text, version: 1 }).onConflict((c) => c.column('tenant').doNothing()).executeTakeFirst())
                .numInsertedOrUpdatedRows;
          if (written === 1n) return settings;
        } finally {
          this.cache?.forget(tenant);
        }
      }
      throw new StoreUnavailable(`the settings of ${tenant} kept changing under ${CONFLICT_ATTEMPTS} attempts to change them`);
    });
  }

  private row(tenant: TenantId) {
    return this.db.selectFrom('team_settings').select(['settings', 'version']).where('tenant', '=', tenant).executeTakeFirst();
  }
}
