import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextPollDelayMs, POLL_MIN_MS, WEBHOOK_SAFETY_POLL_MS } from '../../src/core/polling.js';

/** Simulates polling a render of `totalMs` with linear progress; returns polls and lag. */
function simulate(totalMs: number): { polls: number; lagMs: number } {
  let t = 5_000;
  let polls = 0;
  let previousProgress: number | undefined;
  let previousDelayMs: number | undefined;
  for (;;) {
    polls++;
    if (t >= totalMs) return { polls, lagMs: t - totalMs };
    const progress = Math.floor((t / totalMs) * 100);
    const delay = nextPollDelayMs({ elapsedMs: t, progress, previousProgress, previousDelayMs, webhook: false });
    previousProgress = progress;
    previousDelayMs = delay;
    t += delay;
  }
}

describe('adaptive polling', () => {
  it('uses at most a quarter of a fixed 5-second loop on a 3-minute render, with little lag', () => {
    const { polls, lagMs } = simulate(180_000);
    assert.ok(polls <= 36 / 4, `polls ${polls}`);
    assert.ok(lagMs <= 2_000, `lag ${lagMs}`);
  });

  it('backs off when progress stalls (a provider stuck at 99%)', () => {
    const first = nextPollDelayMs({ elapsedMs: 100_000, progress: 99, previousProgress: 99, previousDelayMs: POLL_MIN_MS, webhook: false });
    const second = nextPollDelayMs({ elapsedMs: 103_000, progress: 99, previousProgress: 99, previousDelayMs: first, webhook: false });
    assert.ok(second > first && first > POLL_MIN_MS);
  });

  it('polls only as a slow safety net when completion comes by webhook', () => {
    assert.equal(nextPollDelayMs({ elapsedMs: 0, progress: 50, previousProgress: 10, previousDelayMs: 1_000, webhook: true }), WEBHOOK_SAFETY_POLL_MS);
  });
});
