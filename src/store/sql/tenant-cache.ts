/**
 * What the hot path reads per command (a team's settings and characters), kept per process between
 * changes, where one process owns the database: the embedded SQLite file. The read is cached as the
 * promise taken when it started, so a change that commits meanwhile and then forgets the entry also
 * drops that read: nothing read before a change is served after it.
 *
 * Not on Postgres: there another replica's `/budget set` must reach this one's budget check at once, and
 * checking a cached copy's version costs the same round trip as reading the row (one primary-key lookup).
 */
export class TenantCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  read(tenant: string, load: () => Promise<T>): Promise<T> {
    let entry = this.entries.get(tenant);
    if (!entry) {
      const loading = load();
      entry = loading;
      this.entries.set(tenant, loading);
      // A failed read is asked again by the next caller.
      loading.catch(() => {
        if (this.entries.get(tenant) === loading) this.entries.delete(tenant);
      });
    }
    return entry;
  }

  forget(tenant: string): void {
    this.entries.delete(tenant);
  }
}

/** Writes that lost a race to another replica are tried again on the newer row this often before giving up. */
export const CONFLICT_ATTEMPTS = 50;
