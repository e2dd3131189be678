/**
 * The clock port. Every wait in the core, the backends' retry loops and the
 * simulator goes through it, so tests move time forward instead of sleeping.
 */
export interface Clock {
  now(): number;
  /**
   * Resolves after `ms` of this clock's time; rejects with the signal's reason when aborted.
   * With `handle`, the clock sets `handle.interrupt` for as long as the sleep is pending:
   * calling it resolves the sleep at once. That is how a webhook wakes a polling job without
   * a new AbortController and `AbortSignal.any` per wait (10,000 jobs in flight each sleep).
   * A clock that ignores `handle` is still correct, only never woken early.
   */
  sleep(ms: number, signal?: AbortSignal, handle?: SleepHandle): Promise<void>;
}

/** Filled in by `Clock.sleep` while a sleep is pending; see there. */
export interface SleepHandle {
  interrupt?: (() => void) | undefined;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep(ms, signal, handle) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleep = new TimerSleep(resolve, reject, signal, handle);
      sleep.timer = setTimeout(endTimerSleep, Math.max(0, ms), sleep);
      signal?.addEventListener('abort', sleep);
    });
  },
};

/**
 * One pending sleep of the system clock. A small object with a shared timer
 * callback and `handleEvent`, instead of three named closures per sleep: a
 * process holding 10,000 jobs has that many sleeps pending, and under tsx
 * (esbuild keepNames) every named closure also carries its own property store.
 */
class TimerSleep {
  timer: NodeJS.Timeout | undefined;
  private readonly interrupt: (() => void) | undefined;

  constructor(
    private readonly resolve: () => void,
    private readonly reject: (reason: unknown) => void,
    private readonly signal: AbortSignal | undefined,
    private readonly handle: SleepHandle | undefined,
  ) {
    if (handle) this.interrupt = handle.interrupt = () => this.end();
  }

  /** The time has come, or the sleep was interrupted. */
  end(): void {
    this.settle();
    this.resolve();
  }

  /** The signal aborted (EventTarget calls `handleEvent` on listener objects). */
  handleEvent(): void {
    this.settle();
    this.reject(this.signal!.reason);
  }

  private settle(): void {
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this);
    if (this.handle && this.handle.interrupt === this.interrupt) this.handle.interrupt = undefined;
  }
}

function endTimerSleep(sleep: TimerSleep): void {
  sleep.end();
}

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

  sleep(ms: number, signal?: AbortSignal, handle?: SleepHandle): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const entry: PendingSleep = {
        at: this.current + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          if (handle?.interrupt === interrupt) handle.interrupt = undefined;
          resolve();
        },
      };
      // Interrupted: leaves the clock's queue and resolves now, as if its time had come.
      const interrupt = () => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        entry.resolve();
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        if (handle?.interrupt === interrupt) handle.interrupt = undefined;
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (handle) handle.interrupt = interrupt;
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

/**
 * Runs `task` at once and then every `intervalMs` on `clock` (so tests can move time across it) until the
 * returned function stops it; that function waits for a run in progress. `task` handles its own errors.
 */
export function repeatEvery(clock: Clock, intervalMs: number, task: () => Promise<unknown>): () => Promise<void> {
  const stop = new AbortController();
  const loop = (async () => {
    await task();
    while (!stop.signal.aborted) {
      try {
        await clock.sleep(intervalMs, stop.signal);
      } catch {
        return;
      }
      await task();
    }
  })();
  return async () => {
    stop.abort();
    await loop;
  };
}
