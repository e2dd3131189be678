import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AfterAckGate } from '../../src/chat/after-ack.js';
import { QuietTurns } from '../../src/core/quiet-turns.js';

test('the after-ack gate runs at most `limit` tasks at once, in arrival order, and frees a slot on failure', async () => {
  const gate = new AfterAckGate(2);
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const releases: Array<() => void> = [];
  const task = (i: number) =>
    gate.run(async () => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      if (i === 1) throw new Error('follow-up failed');
      return i;
    });
  const results = [0, 1, 2, 3, 4].map((i) => task(i).catch((e: Error) => e.message));
  // Each release lets exactly one waiting task start, until all five have run.
  for (let n = 0; n < 5; n++) {
    await new Promise((resolve) => setImmediate(resolve));
    releases.shift()!();
  }
  assert.deepEqual(await Promise.all(results), [0, 'follow-up failed', 2, 3, 4]);
  assert.equal(most, 2);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
});

test('the after-ack gate starts nothing while commands keep arriving, and starts once they pause', async () => {
  const arrivals = new QuietTurns();
  const gate = new AfterAckGate(8, arrivals);
  let started = false;
  const done = gate.run(async () => void (started = true));
  for (let i = 0; i < 10; i++) {
    arrivals.arrived();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, false, 'an acknowledgement still going out comes first');
  }
  await done;
  assert.equal(started, true);
});
