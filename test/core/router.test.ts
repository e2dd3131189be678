import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../src/core/circuit-breaker.js';
import { ManualClock } from '../../src/core/clock.js';
import { UserFacingError } from '../../src/core/errors.js';
import { routeJob, type RouteRequest } from '../../src/core/router.js';
import { character, declaredBackend } from '../helpers/fixtures.js';

const official = declaredBackend('official', { stabilityRank: 1, price: { kind: 'per-second', microsPerSecond: { standard: 100_000, high: 500_000 } } });
const reseller = declaredBackend('reseller', { stabilityRank: 5, seconds: [10, 15], price: { kind: 'per-video', micros: { standard: 120_000, high: 120_000 } } });
const noChars = declaredBackend('plain', { stabilityRank: 3, characters: { binding: undefined, max: 0, mention: { kind: 'name' } }, price: { kind: 'per-second', microsPerSecond: { standard: 10_000, high: 20_000 } } });
const oneChar = declaredBackend('single', { stabilityRank: 2, characters: { binding: 'provider-character', max: 1, mention: { kind: 'name' } }, price: { kind: 'per-second', microsPerSecond: { standard: 5_000, high: 5_000 } } });

const base: RouteRequest = { characters: [], seconds: 8, orientation: 'landscape', quality: 'standard', hasImage: false, forced: undefined, policy: 'cost', isOpen: () => false };

describe('router', () => {
  it('sends a job that names characters only to backends that can hold them all', () => {
    const route = routeJob([official, reseller, noChars, oneChar], { ...base, characters: [character('a'), character('b')] });
    assert.deepEqual(route.candidates.map((c) => c.backend.id), ['reseller', 'official']);
    assert.match(route.reason, /can hold @a and @b/);
    const single = routeJob([official, reseller, noChars, oneChar], { ...base, characters: [character('a')] });
    assert.equal(single.candidates[0]!.backend.id, 'single');
  });

  it('orders by the cheapest estimate under the cost policy and by stability under the stability policy', () => {
    const cost = routeJob([official, reseller, noChars], base);
    assert.deepEqual(cost.candidates.map((c) => [c.backend.id, c.estimateMicros]), [['plain', 80_000], ['reseller', 120_000], ['official', 800_000]]);
    const stable = routeJob([official, reseller, noChars], { ...base, policy: 'stability' });
    assert.deepEqual(stable.candidates.map((c) => c.backend.id), ['official', 'plain', 'reseller']);
    assert.match(stable.reason, /most stable/);
  });

  it('fits the duration to what each backend allows', () => {
    const route = routeJob([reseller], { ...base, seconds: 4 });
    assert.equal(route.candidates[0]!.seconds, 10);
  });

  it('puts a backend with an open circuit last and says so', () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker(clock, 3, 60_000);
    for (let i = 0; i < 3; i++) breaker.recordFailure('plain');
    const route = routeJob([official, reseller, noChars], { ...base, isOpen: (b) => breaker.isOpen(b) });
    assert.deepEqual(route.candidates.map((c) => c.backend.id), ['reseller', 'official', 'plain']);
    assert.match(route.reason, /skipped plain after recent failures/);
  });

  it('closes the circuit after the cooldown, re-opening on one more failure (half-open)', async () => {
    const clock = new ManualClock();
    const breaker = new CircuitBreaker(clock, 3, 60_000);
    for (let i = 0; i < 3; i++) breaker.recordFailure('x');
    assert.equal(breaker.isOpen('x'), true);
    await clock.advance(60_000);
    assert.equal(breaker.isOpen('x'), false);
    breaker.recordFailure('x');
    assert.equal(breaker.isOpen('x'), true);
    await clock.advance(60_000);
    breaker.recordSuccess('x');
    breaker.recordFailure('x');
    assert.equal(breaker.isOpen('x'), false);
  });

  it('honours a forced backend, and explains why an unsuitable or unknown one is refused', () => {
    assert.equal(routeJob([official, reseller], { ...base, forced: 'reseller' }).candidates.length, 1);
    assert.throws(() => routeJob([official], { ...base, forced: 'nope' }), (e: unknown) => e instanceof UserFacingError && /no backend called "nope"/.test(e.userMessage));
    assert.throws(() => routeJob([noChars], { ...base, forced: 'plain', characters: [character('a')] }), /cannot hold characters/);
    assert.throws(() => routeJob([reseller], { ...base, quality: 'high', orientation: 'portrait' }), /No configured backend can make this video/);
  });
});

describe('router and character sources', () => {
  it('skips a backend that must fetch the clip by URL when the bot has no public URL, unless the source is a URL', () => {
    const fetcher = declaredBackend('fetcher', { characters: { binding: 'provider-character', max: 2, mention: { kind: 'binding-id', template: '@{id}' }, needsFetchableClip: true } });
    const uploader = declaredBackend('uploader', { stabilityRank: 9 });
    const clip = character('clip');
    const linked = character('linked', { source: { kind: 'url', url: 'https://example.com/a.mp4' } });
    const route = (c: typeof clip, filesReachable: boolean) =>
      routeJob([fetcher, uploader], { ...base, policy: 'stability', characters: [c], filesReachable }).candidates.map((x) => x.backend.id);
    assert.deepEqual(route(clip, false), ['uploader']);
    assert.deepEqual(route(clip, true), ['fetcher', 'uploader']);
    assert.deepEqual(route(linked, false), ['fetcher', 'uploader']);
  });
});
