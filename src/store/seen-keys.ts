/**
 * Seen keys as expiring keyv entries, where there are no tables (Redis): a get
 * and a set, serialized per key in this process. Two processes on one Redis
 * could both see a key as new in between, which is why the tables have their
 * own (src/store/sql/sql-seen-keys.ts, one atomic statement).
 */
import { KeyedMutex } from '../core/keyed-mutex.js';
import type { KeyValueStore, SeenKeys } from '../core/ports.js';

export class KeyValueSeenKeys implements SeenKeys {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly store: KeyValueStore) {}

  first(key: string, ttlMs: number): Promise<boolean> {
    return this.mutex.run(key, async () => {
      if ((await this.store.get(key)) !== undefined) return false;
      await this.store.set(key, 1, ttlMs);
      return true;
    });
  }
}
