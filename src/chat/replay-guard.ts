/**
 * Remembers request ids for a while in the store, so a request delivered twice
 * (a replayed signed Slack request, a Discord interaction redelivered) acts
 * once, across restarts and across processes sharing the store.
 */
import { KeyedMutex } from '../core/keyed-mutex.js';
import type { KeyValueStore } from '../core/ports.js';

export class ReplayGuard {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly store: KeyValueStore,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  /** True the first time `id` is seen within the TTL; false for every later copy. */
  first(id: string): Promise<boolean> {
    const key = `${this.prefix}:${id}`;
    // Serialized per id so two copies arriving together cannot both pass.
    return this.mutex.run(key, async () => {
      if ((await this.store.get(key)) !== undefined) return false;
      await this.store.set(key, 1, this.ttlMs);
      return true;
    });
  }
}
