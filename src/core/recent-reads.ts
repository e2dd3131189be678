/**
 * A team's reads remembered for a moment, for the quote only (job-intake.ts). On a store that replicas
 * share, the store keeps no copy (another replica's change must reach every acceptance at once), so a
 * quote read the team's settings and characters afresh before each acknowledgement: two round trips
 * per command on the path the platforms time. The quote only orders the answer and the acceptance
 * (budget-forecast.ts); the acceptance reads afresh and decides. A quote made on figures a second old
 * can at worst answer publicly a request the acceptance then refuses, which the adapters take back.
 */
import type { Clock } from './clock.js';
import type { TenantId } from './types.js';

export class RecentReads<T> {
  private readonly entries = new Map<TenantId, { at: number; value: Promise<T> }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly load: (tenant: TenantId) => Promise<T>,
  ) {}

  read(tenant: TenantId): Promise<T> {
    const now = this.clock.now();
    const known = this.entries.get(tenant);
    if (known && now - known.at < this.ttlMs) return known.value;
    // One read for the team's commands that arrive while it runs; a failed one is not remembered.
    const value = this.load(tenant);
    this.entries.set(tenant, { at: now, value });
    value.catch(() => {
      if (this.entries.get(tenant)?.value === value) this.entries.delete(tenant);
    });
    return value;
  }
}
