/**
 * The clock port. Every wait in the core, the backends' retry loops and the
 * simulator goes through it, so tests move time forward instead of sleeping.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

interface PendingSleep {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * A clock that only moves when told to. `advance` fires due sleepers in time
 * order and yields to real I/O between them, so HTTP round trips to local fakes
 * complete while simulated minutes pass.
 */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: PendingSleep[] = [];
  private seq = 0;

  constructor(start = Date.UTC(2026, 10, 24, 12, 0, 0)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry: PendingSleep = {
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(entry);
    });
  }

  /** Number of sleepers waiting; lets tests wait until the system is idle on the clock. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  set(epochMs: number): void {
    this.current = epochMs;
  }

  /**
   * Moves time forward by `ms` in steps of at most `stepMs`, letting real I/O
   * (loopback HTTP) settle at each step so a chain of polls can unfold.
   */
  async advance(ms: number, stepMs = 1000): Promise<void> {
    const target = this.current + ms;
    while (this.current < target) {
      await settleIo();
      const nextDue = this.earliest();
      const stepEnd = Math.min(target, this.current + stepMs);
      this.current = nextDue !== undefined && nextDue < stepEnd ? Math.max(this.current, nextDue) : stepEnd;
      this.fireDue();
      await settleIo();
    }
    await settleIo();
  }

  private earliest(): number | undefined {
    let min: number | undefined;
    for (const s of this.sleepers) if (min === undefined || s.at < min) min = s.at;
    return min;
  }

  private fireDue(): void {
    const due = this.sleepers.filter((s) => s.at <= this.current).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.sleepers = this.sleepers.filter((s) => s.at > this.current);
    for (const s of due) s.resolve();
  }
}

/** Lets pending promise chains and loopback sockets make progress. */
export async function settleIo(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
