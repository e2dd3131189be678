/**
 * A small map whose entries expire on the injected clock: membership answers
 * are cached briefly so a status list does not call the platform once per job,
 * yet someone removed from a channel loses sight of its jobs within a minute.
 */
import type { Clock } from '../core/clock.js';

export class TtlCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries = 5_000,
  ) {}

  /** The cached value, or `load()`'s; a failed load is not cached. */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = this.clock.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = load();
    this.entries.set(key, { value, expiresAt: now + this.ttlMs });
    value.catch(() => this.entries.delete(key));
    return value;
  }
}
