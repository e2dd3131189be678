import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FairScheduler, type SchedulerEntry } from '../../src/core/scheduler.js';

function make(perBackend: number, perTenant: number) {
  const scheduler = new FairScheduler({ perBackend: () => perBackend, perTenant });
  const dispatched: SchedulerEntry[] = [];
  scheduler.onDispatch((e) => dispatched.push(e));
  return { scheduler, dispatched };
}

describe('fair scheduler', () => {
  it('caps concurrency per backend and runs the next job when one finishes', () => {
    const { scheduler, dispatched } = make(2, 10);
    for (let i = 0; i < 4; i++) scheduler.enqueue({ jobId: `j${i}`, tenant: 'A', backend: 'openai' });
    assert.deepEqual(dispatched.map((e) => e.jobId), ['j0', 'j1']);
    assert.equal(scheduler.position('j2'), 1);
    assert.equal(scheduler.position('j3'), 2);
    scheduler.finish('j0');
    assert.deepEqual(dispatched.map((e) => e.jobId), ['j0', 'j1', 'j2']);
    assert.equal(scheduler.position('j3'), 1);
  });

  it('lets tenants take turns so one busy team cannot starve another', () => {
    const { scheduler, dispatched } = make(1, 10);
    scheduler.enqueue({ jobId: 'a0', tenant: 'A', backend: 'b' });
    for (let i = 1; i <= 3; i++) scheduler.enqueue({ jobId: `a${i}`, tenant: 'A', backend: 'b' });
    scheduler.enqueue({ jobId: 'b1', tenant: 'B', backend: 'b' });
    // B's first job is ahead of A's second, though it arrived last.
    assert.equal(scheduler.position('b1'), 1);
    assert.equal(scheduler.position('a1'), 2);
    scheduler.finish('a0');
    assert.equal(dispatched.at(-1)!.jobId, 'b1');
    assert.deepEqual([...scheduler.positions().entries()], [['a1', 1], ['a2', 2], ['a3', 3]]);
  });

  it('caps concurrency per tenant across backends', () => {
    const { scheduler, dispatched } = make(10, 1);
    scheduler.enqueue({ jobId: 'x', tenant: 'A', backend: 'one' });
    scheduler.enqueue({ jobId: 'y', tenant: 'A', backend: 'two' });
    scheduler.enqueue({ jobId: 'z', tenant: 'B', backend: 'two' });
    assert.deepEqual(dispatched.map((e) => e.jobId), ['x', 'z']);
    assert.equal(scheduler.remove('y'), true);
    assert.equal(scheduler.waiting, 0);
  });
});
