/**
 * Serializes read-modify-write of one store document within this process.
 * keyv offers no transactions, so every update of a shared document (a
 * tenant's ledger month, its character registry, an index shard) runs under
 * the lock for that key. Across processes this is not enough; the Ledger and
 * Scheduler ports are where a Postgres or Redis implementation would plug in.
 */
export class KeyedMutex {
  private tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    try {
      await previous;
      return await task();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
