import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Actor, JobRecord, Place } from '../../src/core/types.js';
import { Sight } from '../../src/core/visibility.js';

const job = (id: string, requesterId: string, place: Place | undefined, tenant = 't1') => ({ id, tenant, requesterId, place }) as unknown as JobRecord;
const general: Place = { kind: 'channel', id: 'C1' };
const board: Place = { kind: 'channel', id: 'G1' };

test('a job is seen in its own place, elsewhere only when the adapter says the member can see that place, and never across tenants', async () => {
  const asked: string[] = [];
  const bob: Actor = {
    tenant: 't1',
    userId: 'bob',
    displayName: 'bob',
    isAdmin: true,
    place: general,
    canSee: async (p) => {
      asked.push(p.id);
      return p.id === 'C2';
    },
  };
  const jobs = [
    job('here', 'dana', general),
    job('board1', 'dana', board),
    job('board2', 'dana', board),
    job('other-channel', 'dana', { kind: 'channel', id: 'C2' }),
    job('danas-dm', 'dana', { kind: 'dm', id: 'D1' }),
    job('bobs-dm', 'bob', { kind: 'dm', id: 'D2' }),
    job('legacy-dana', 'dana', undefined),
    job('legacy-bob', 'bob', undefined),
    job('other-team', 'bob', general, 't2'),
  ];
  assert.deepEqual((await new Sight(bob).filter(jobs)).map((j) => j.id), ['here', 'other-channel', 'bobs-dm', 'legacy-bob']);
  assert.deepEqual(asked.sort(), ['C2', 'G1'], 'asked once per place, never for DMs or its own place; an admin gets no exception');
});

test('an adapter that fails to answer hides the job; the console (no place) sees its whole tenant', async () => {
  const failing: Actor = { tenant: 't1', userId: 'bob', displayName: 'bob', isAdmin: false, place: general, canSee: () => Promise.reject(new Error('slack down')) };
  assert.equal(await new Sight(failing).sees(job('board', 'dana', board)), false);
  const noCheck: Actor = { tenant: 't1', userId: 'bob', displayName: 'bob', isAdmin: false, place: general };
  assert.equal(await new Sight(noCheck).sees(job('board', 'dana', board)), false, 'no canSee: only its own place');
  const consoleUser: Actor = { tenant: 't1', userId: 'local', displayName: 'me', isAdmin: true };
  assert.equal(await new Sight(consoleUser).sees(job('board', 'dana', board)), true);
  assert.equal(await new Sight(consoleUser).sees(job('elsewhere', 'dana', board, 't2')), false);
});
