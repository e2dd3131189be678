/**
 * The work a chat adapter does after it has acknowledged a command (the
 * reply, the thread, the status message, the job's start) goes through this
 * gate, a few at a time. Under a burst, the acknowledgements of the commands
 * still arriving then wait only for each other, not behind hundreds of
 * follow-ups competing for the same event loop; a platform gives an
 * acknowledgement 3 seconds and a follow-up 15 minutes or more
 * (https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction,
 * https://api.slack.com/interactivity/slash-commands#responding_to_commands).
 */
import type { QuietTurns } from '../core/quiet-turns.js';

export class AfterAckGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  /** `arrivals`: the process's incoming commands; a task starts on a loop turn with none (core/quiet-turns.ts). */
  constructor(
    readonly limit: number,
    private readonly arrivals?: QuietTurns,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.arrivals?.quiet();
    if (this.running < this.limit) this.running++;
    // A finished task hands its slot straight to the next in line (the count stays as it is).
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

/** Follow-ups in flight per adapter: enough to keep REST busy, few enough to leave the loop to acknowledgements. */
export const AFTER_ACK_CONCURRENCY = 8;
