/**
 * Moving a ManualClock while loopback HTTP is in flight. `ManualClock.advance`
 * settles I/O with a few setImmediate turns, which is not always enough for a
 * request to reach the simulator and come back; these helpers alternate clock
 * steps with a couple of milliseconds of real waiting.
 */
import type { Clock, ManualClock, SleepHandle } from '../../src/core/clock.js';

export interface DriveOptions {
  /** Clock time per step (default 100 ms). */
  stepMs?: number;
  /** Give up after this many steps (default 500). */
  maxSteps?: number;
  /** Real time between steps (default 2 ms). */
  realWaitMs?: number;
  /**
   * Real time to keep going after `maxSteps` (default 90 s), more slowly: on a machine kept busy by other
   * work the clock can reach the planned time before the real work it waits for (a render, an upload) is done.
   */
  patienceMs?: number;
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
  const { stepMs = 100, maxSteps = 500, realWaitMs = 2, patienceMs = 90_000 } = options;
  for (let step = 0; step < maxSteps; step++) {
    if (await predicate()) return;
    await clock.advance(stepMs, stepMs);
    await realWait(realWaitMs);
  }
  // Past the planned time: the test's condition still needs real work to finish. Each further step gives it
  // 25 ms of real time, so the clock cannot outrun it by much (a job's deadline is minutes of clock time away).
  const deadline = Date.now() + patienceMs;
  let extra = 0;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await clock.advance(stepMs, stepMs);
    await realWait(Math.max(realWaitMs, 25));
    extra++;
  }
  if (await predicate()) return;
  throw new Error(`driveUntil: condition not met after ${maxSteps} steps of ${stepMs} ms and ${extra} slower ones in ${patienceMs} ms of real time`);
}

/** Moves the clock by `totalMs` in steps with real waits between them: for asserting that nothing happens meanwhile. */
export async function advanceFor(clock: ManualClock, totalMs: number, options: Omit<DriveOptions, 'maxSteps' | 'patienceMs'> = {}): Promise<void> {
  const { stepMs = 100, realWaitMs = 2 } = options;
  for (let moved = 0; moved < totalMs; moved += stepMs) {
    await clock.advance(stepMs, stepMs);
    await realWait(realWaitMs);
  }
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

  sleep(ms: number, signal?: AbortSignal, handle?: SleepHandle): Promise<void> {
    this.sleeps.push(ms);
    return this.inner.sleep(ms, signal, handle);
  }
}
