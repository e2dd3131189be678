/**
 * How many job steps run at once. A step that talks to a provider holds an
 * AbortController, its async frames and an HTTP request until the answer
 * comes; when 10,000 polls fall due together, starting them all at once only
 * parks thousands of requests in the HTTP pool's queue (32 sockets per
 * provider), long enough for the garbage collector to promote them, and the
 * heap grows to several times the live data. Jobs past the limit wait here as
 * bare ids, in the order they became due, and start as earlier steps end.
 */
export class StepSlots {
  private active = 0;
  /** Jobs due but not yet started; a Set keeps arrival order and never holds a job twice. */
  private readonly waiting = new Set<string>();

  constructor(
    private readonly limit: number,
    /** Starts the job's step; the caller calls `release` when that step ends. */
    private readonly start: (jobId: string) => void,
  ) {}

  /** Jobs started and not yet released. */
  get running(): number {
    return this.active;
  }

  /** Starts the job's step now if a slot is free, else when one frees up. */
  request(jobId: string): void {
    if (this.active < this.limit) {
      this.active++;
      this.start(jobId);
    } else this.waiting.add(jobId);
  }

  /** A step ended: its slot goes to the job that has waited longest. */
  release(): void {
    for (const next of this.waiting) {
      this.waiting.delete(next);
      this.start(next);
      return;
    }
    this.active--;
  }

  /** Whether the job waits for a slot. */
  has(jobId: string): boolean {
    return this.waiting.has(jobId);
  }

  /** Takes a waiting job out of line (cancelled, or the process stops driving it). */
  drop(jobId: string): void {
    this.waiting.delete(jobId);
  }

  clear(): void {
    this.waiting.clear();
  }
}
