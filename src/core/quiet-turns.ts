/**
 * Waits for a turn of the event loop in which nothing new arrived. Under a burst, requests keep
 * arriving for as long as the platform takes to send them; work that can wait (an acceptance after
 * its request was answered, a thread, a follow-up) then waits until the arrivals pause, so every
 * acknowledgement is sent before it instead of interleaved with it. The wait is counted in loop
 * turns, not in time: each turn that had an arrival spent time answering it, and a stream of
 * arrivals that never pauses still lets the work through after `maxTurns`.
 *
 * A turn without arrival is confirmed by a short pause (SETTLE_MS) before the work starts: a burst
 * sent by another process reaches this one in chunks, and the loop often finds its socket empty for
 * a moment between two of them; work started then delayed every acknowledgement of the next chunk
 * (bench/README.md, "Fifth pass"). The pause is real time, not the clock port's, on purpose: it
 * measures whether the process is still receiving, and a test's manual clock never moves on its own.
 */
/** Long enough for the next chunk of a burst already on its way, short beside any follow-up's own time. */
export const SETTLE_MS = 3;

const settle = () => new Promise<void>((resolve) => setTimeout(resolve, SETTLE_MS));

export class QuietTurns {
  private arrivals = 0;
  /** The arrival count when quiet was last confirmed. */
  private confirmed = 0;
  private waiting: Promise<void> | undefined;

  /** `pause`: the confirming pause (tests pass one they end themselves). */
  constructor(
    private readonly maxTurns = 200,
    private readonly pause: () => Promise<void> = settle,
  ) {}

  /** Something arrived that wants its answer first. */
  arrived(): void {
    this.arrivals += 1;
  }

  /**
   * Resolves after the first loop turn with no arrival and no arrival during the pause that follows
   * (the pause only when something arrived since quiet was last confirmed), or after `maxTurns` turns
   * with arrivals; one wait for all who ask at once.
   */
  quiet(): Promise<void> {
    this.waiting ??= this.watch().finally(() => (this.waiting = undefined));
    return this.waiting;
  }

  private async watch(): Promise<void> {
    for (let turn = 0; turn < this.maxTurns; turn++) {
      const before = this.arrivals;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.arrivals !== before) continue;
      // Nothing arrived since quiet was last confirmed: no burst to wait out, so no pause (work that waits
      // for quiet one piece after another, like the forecast's line of acceptances, pays one turn each).
      if (before !== this.confirmed) {
        await this.pause();
        if (this.arrivals !== before) continue;
      }
      this.confirmed = before;
      return;
    }
    this.confirmed = this.arrivals;
  }
}
