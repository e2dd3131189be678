/**
 * Moving a ManualClock while loopback HTTP is in flight. `ManualClock.advance`
 * settles I/O with a few setImmediate turns, which is not always enough for a
 * request to reach the simulator and come back; these helpers alternate clock
 * steps with a couple of milliseconds of real waiting.
 */
import type { Clock, ManualClock } from '../../src/core/clock.js';

export interface DriveOptions {
  /** Clock time per step (default 100 ms). */
  stepMs?: number;
  /** Give up after this many steps (default 500). */
  maxSteps?: number;
  /** Real time between steps (default 2 ms). */
  realWaitMs?: number;
}

export function realWait(ms: number): Promise<void> {
  // Real time on purpose: this waits for loopback sockets, not for the simulated clock.
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for an event that needs no clock movement (a request reaching a fake, a
 * file appearing). It polls the predicate; the timeout only turns a hang into a
 * failure with a name, it is never what a test asserts, so a busy machine makes
 * it slower but not red.
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await realWait(2);
  }
}

/** Advances the clock step by step until `predicate` holds; throws when it never does. */
export async function driveUntil(
  clock: ManualClock,
  predicate: () => boolean | Promise<boolean>,
  options: DriveOptions = {},
): Promise<void> {
  const { stepMs = 100, maxSteps = 500, realWaitMs = 2 } = options;
  for (let step = 0; step < maxSteps; step++) {
    if (await predicate()) return;
    await clock.advance(stepMs, stepMs);
    await realWait(realWaitMs);
  }
  if (await predicate()) return;
  throw new Error(`driveUntil: condition not met after ${maxSteps} steps of ${stepMs} ms`);
}

/** Advances the clock until `promise` settles, then returns (or throws) its outcome. */
export async function driveWhile<T>(clock: ManualClock, promise: Promise<T>, options: DriveOptions = {}): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  // Keep an unhandled rejection from firing while we are still stepping.
  tracked.catch(() => undefined);
  await driveUntil(clock, () => settled, options);
  return tracked;
}

/** A clock that records every sleep it is asked for, so tests can assert retry waits. */
export class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private readonly inner: ManualClock) {}

  now(): number {
    return this.inner.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return this.inner.sleep(ms, signal);
  }
}
