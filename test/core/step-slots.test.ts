/**
 * The runner's cap on steps running at once: jobs past the cap wait as bare
 * ids, in the order they became due, and each ended step hands its slot on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StepSlots } from '../../src/core/step-slots.js';

describe('step slots', () => {
  it('starts at most `limit` steps and hands each freed slot to the job that waited longest', () => {
    const started: string[] = [];
    const slots = new StepSlots(2, (jobId) => started.push(jobId));
    for (const id of ['a', 'b', 'c', 'd']) slots.request(id);
    assert.deepEqual(started, ['a', 'b']);
    assert.equal(slots.running, 2);
    assert.ok(slots.has('c') && slots.has('d'));
    slots.release();
    assert.deepEqual(started, ['a', 'b', 'c']);
    slots.release();
    slots.release();
    assert.deepEqual(started, ['a', 'b', 'c', 'd']);
    assert.equal(slots.running, 1);
    slots.release();
    assert.equal(slots.running, 0);
  });

  it('never queues a job twice, and a dropped job does not start', () => {
    const started: string[] = [];
    const slots = new StepSlots(1, (jobId) => started.push(jobId));
    slots.request('a');
    slots.request('b');
    slots.request('b');
    slots.request('c');
    slots.drop('b');
    slots.release();
    slots.release();
    assert.deepEqual(started, ['a', 'c']);
  });
});
