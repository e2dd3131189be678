/**
 * A write-through cache for the few documents every request reads: a tenant's
 * settings, its character registry and its ledger month. Without it each
 * `/sora generate` makes half a dozen store reads before it can answer, and a
 * burst of commands queues all of them behind one another on the store.
 *
 * It relies on what the KeyedMutex already assumes: one process writes these
 * documents; a store other processes also write (`shared`) is read every time.
 * Readers get a copy, so a change that fails to persist never leaks into the
 * cached version.
 */
import type { KeyValueStore } from './ports.js';

export class DocumentCache {
  private readonly documents = new Map<string, unknown>();

  constructor(private readonly store: KeyValueStore) {}

  async read<T>(key: string): Promise<T | undefined> {
    if (this.store.shared) return this.store.get<T>(key);
    if (this.documents.has(key)) return structuredClone(this.documents.get(key)) as T | undefined;
    const value = await this.store.get<T>(key);
    // A concurrent writer may have filled the entry while we waited: the newest write wins.
    if (!this.documents.has(key)) this.documents.set(key, value);
    return structuredClone(this.documents.get(key)) as T | undefined;
  }

  async write(key: string, value: unknown): Promise<void> {
    await this.store.set(key, value);
    if (!this.store.shared) this.documents.set(key, structuredClone(value));
  }
}
