/**
 * Every waiting job in one queue: a binary min-heap of `{jobId, dueAt}`
 * drained by ONE pending sleep on the injected clock. A job that waits for its
 * next poll, a download retry or a delivery retry is an entry here, not a
 * suspended async function with its own timer, so 10,000 jobs in flight cost
 * 10,000 small objects. Entries can be moved (a webhook makes a job due now)
 * or removed (cancel) in O(log n): each entry knows its place in the heap.
 */
import type { Clock, SleepHandle } from './clock.js';

interface Entry {
  jobId: string;
  dueAt: number;
  /** Position in `heap`. */
  index: number;
}

export class TimerQueue implements SleepHandle {
  private readonly heap: Entry[] = [];
  private readonly byJob = new Map<string, Entry>();
  /** When the pending sleep ends; undefined while nothing sleeps. */
  private sleepingUntil: number | undefined;
  /** Set by the clock while the sleep is pending; calling it ends the sleep now. */
  interrupt: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    /** Called for each entry whose time has come; it has left the queue by then. */
    private readonly onDue: (jobId: string) => void,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  has(jobId: string): boolean {
    return this.byJob.has(jobId);
  }

  dueAt(jobId: string): number | undefined {
    return this.byJob.get(jobId)?.dueAt;
  }

  /** Puts a job in the queue at `dueAt`, or moves it there if it is queued already. */
  schedule(jobId: string, dueAt: number): void {
    if (this.stopped) return;
    const existing = this.byJob.get(jobId);
    if (existing) {
      const earlier = dueAt < existing.dueAt;
      existing.dueAt = dueAt;
      if (earlier) this.up(existing.index);
      else this.down(existing.index);
    } else {
      const entry: Entry = { jobId, dueAt, index: this.heap.length };
      this.heap.push(entry);
      this.byJob.set(jobId, entry);
      this.up(entry.index);
    }
    this.rearm();
  }

  /** Takes a job out of the queue; returns whether it was there. */
  remove(jobId: string): boolean {
    const entry = this.byJob.get(jobId);
    if (!entry) return false;
    this.byJob.delete(jobId);
    const last = this.heap.pop()!;
    if (last !== entry) {
      this.heap[entry.index] = last;
      last.index = entry.index;
      this.up(last.index);
      this.down(last.index);
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.heap.length = 0;
    this.byJob.clear();
    this.interrupt?.();
  }

  /** Makes sure one sleep is pending until the earliest entry, and no longer than that. */
  private rearm(): void {
    const first = this.heap[0];
    if (!first || this.stopped) return;
    if (this.sleepingUntil !== undefined) {
      if (first.dueAt >= this.sleepingUntil) return;
      // An earlier entry arrived: end the current sleep; its loop re-arms for the new head.
      this.interrupt?.();
      return;
    }
    const until = first.dueAt;
    this.sleepingUntil = until;
    void this.clock.sleep(Math.max(0, until - this.clock.now()), undefined, this).then(() => this.drain());
  }

  private drain(): void {
    this.sleepingUntil = undefined;
    if (this.stopped) return;
    const now = this.clock.now();
    const due: string[] = [];
    while (this.heap.length > 0 && this.heap[0]!.dueAt <= now) {
      const entry = this.heap[0]!;
      this.remove(entry.jobId);
      due.push(entry.jobId);
    }
    this.rearm();
    for (const jobId of due) this.onDue(jobId);
  }

  private up(i: number): void {
    const heap = this.heap;
    const entry = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.dueAt <= entry.dueAt) break;
      heap[i] = heap[parent]!;
      heap[i]!.index = i;
      i = parent;
    }
    heap[i] = entry;
    entry.index = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const entry = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right]!.dueAt < heap[left]!.dueAt ? right : left;
      if (heap[child]!.dueAt >= entry.dueAt) break;
      heap[i] = heap[child]!;
      heap[i]!.index = i;
      i = child;
    }
    heap[i] = entry;
    entry.index = i;
  }
}
