/**
 * Waits for a turn of the event loop in which nothing new arrived. Under a burst, requests keep
 * arriving for as long as the platform takes to send them; work that can wait (an acceptance after
 * its request was answered, a thread, a follow-up) then waits until the arrivals pause, so every
 * acknowledgement is sent before it instead of interleaved with it. The wait is counted in loop
 * turns, not in time: each turn that had an arrival spent time answering it, and a stream of
 * arrivals that never pauses still lets the work through after `maxTurns`.
 */
export class QuietTurns {
  private arrivals = 0;
  private waiting: Promise<void> | undefined;

  constructor(private readonly maxTurns = 200) {}

  /** Something arrived that wants its answer first. */
  arrived(): void {
    this.arrivals += 1;
  }

  /** Resolves after the first loop turn with no arrival (or after `maxTurns` turns with them); one wait for all who ask at once. */
  quiet(): Promise<void> {
    this.waiting ??= this.watch().finally(() => (this.waiting = undefined));
    return this.waiting;
  }

  private async watch(): Promise<void> {
    for (let turn = 0; turn < this.maxTurns; turn++) {
      const before = this.arrivals;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.arrivals === before) return;
    }
  }
}
