/**
 * Remembers request ids for a while (core/ports.ts `SeenKeys`: a table where
 * there are tables, else keyv), so a request delivered twice (a replayed signed
 * Slack request, a Discord interaction redelivered) acts once, across restarts
 * and across processes sharing the store.
 */
import type { SeenKeys } from '../core/ports.js';

export class ReplayGuard {
  constructor(
    private readonly seen: SeenKeys,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  /** True the first time `id` is seen within the TTL; false for every later copy. */
  first(id: string): Promise<boolean> {
    return this.seen.first(`${this.prefix}:${id}`, this.ttlMs);
  }
}
