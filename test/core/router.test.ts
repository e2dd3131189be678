import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../src/core/circuit-breaker.js';
import { ManualClock } from '../../src/core/clock.js';
import { UserFacingError } from '../../src/core/errors.js';
import { describeRouteReason } from '../../src/core/present.js';
import { routeJob, type RouteRequest } from '../../src/core/router.js';
import { character, declaredBackend } from '../helpers/fixtures.js';

const official = declaredBackend('official', { stabilityRank: 1, price: { kind: 'per-second', microsPerSecond: { '720p': { on: 100_000, off: 100_000 }, '1080p': { on: 500_000, off: 500_000 } } } });
const reseller = declaredBackend('reseller', { stabilityRank: 5, seconds: [10, 15], price: { kind: 'per-video', micros: { '720p': { on: 120_000, off: 120_000 } } } });
const noChars = declaredBackend('plain', { stabilityRank: 3, characters: { binding: undefined, max: 0, mention: { kind: 'name' } }, price: { kind: 'per-second', microsPerSecond: { '720p': { on: 10_000, off: 10_000 }, '1080p': { on: 20_000, off: 20_000 } } } });
const oneChar = declaredBackend('single', { stabilityRank: 2, characters: { binding: 'provider-character', max: 1, mention: { kind: 'name' } }, price: { kind: 'per-second', microsPerSecond: { '720p': { on: 5_000, off: 5_000 }, '1080p': { on: 5_000, off: 5_000 } } } });

const base: RouteRequest = { characters: [], seconds: undefined, orientation: 'landscape', resolution: '720p', audio: 'off', audioChosen: false, hasImage: false, forced: undefined, policy: 'cost', isOpen: () => false };

describe('router', () => {
  it('sends a job that names characters only to backends that can hold them all', () => {
    const route = routeJob([official, reseller, noChars, oneChar], { ...base, characters: [character('a'), character('b')] });
    assert.deepEqual(route.candidates.map((c) => c.backend.id), ['reseller', 'official']);
    assert.match(describeRouteReason(route.reason), /can hold @a and @b/);
    const single = routeJob([official, reseller, noChars, oneChar], { ...base, characters: [character('a')] });
    assert.equal(single.candidates[0]!.backend.id, 'single');
  });

  it('orders by the cheapest estimate under the cost policy and by stability under the stability policy', () => {
    const cost = routeJob([official, reseller, noChars], base);
    assert.deepEqual(cost.candidates.map((c) => [c.backend.id, c.estimateMicros]), [['plain', 80_000], ['reseller', 120_000], ['official', 800_000]]);
    const stable = routeJob([official, reseller, noChars], { ...base, policy: 'stability' });
    assert.deepEqual(stable.candidates.map((c) => c.backend.id), ['official', 'plain', 'reseller']);
    assert.match(describeRouteReason(stable.reason), /most stable/);
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
    assert.match(describeRouteReason(route.reason), /skipped plain after recent failures/);
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
    assert.throws(() => routeJob([reseller], { ...base, resolution: '1080p', orientation: 'portrait' }), /No configured backend can make this video/);
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

describe('router: the length the user asked for', () => {
  // The README's case: a per-video reseller makes 10 s for $0.12; a per-second backend makes exactly 8 s for more.
  const kling = declaredBackend('kling', { stabilityRank: 3, seconds: [3, 5, 8, 10], price: { kind: 'per-second', microsPerSecond: { '720p': { on: 84_000, off: 84_000 }, '1080p': { on: 112_000, off: 112_000 } } } });
  const mascot = character('mascot');

  it('prefers a backend that makes the asked length exactly, and says what the cheaper other length would cost', () => {
    const route = routeJob([reseller, kling], { ...base, seconds: 8, characters: [mascot] });
    assert.deepEqual(route.candidates.map((c) => [c.backend.id, c.seconds]), [['kling', 8], ['reseller', 10]]);
    assert.match(describeRouteReason(route.reason), /kling: the cheapest of 1 backend that can hold @mascot and make exactly 8 s/);
    assert.deepEqual(route.duration, {
      askedSeconds: 8, madeSeconds: 8, backendName: 'kling', estimateMicros: 672_000, characterNames: '@mascot', policy: 'cost', forced: false,
      cheaper: { backendId: 'reseller', seconds: 10, estimateMicros: 120_000 },
    });
  });

  it('with no length asked, the policy alone decides and nothing is noted', () => {
    const route = routeJob([reseller, kling], { ...base, characters: [mascot] });
    assert.equal(route.candidates[0]!.backend.id, 'reseller');
    assert.equal(route.duration, undefined);
  });

  it('when no suitable backend makes the length, the notice names the length made and an exact one the user can ask for', () => {
    const none = routeJob([reseller], { ...base, seconds: 4 });
    assert.deepEqual(none.duration, { askedSeconds: 4, madeSeconds: 10, backendName: 'reseller', estimateMicros: 120_000, characterNames: '', policy: 'cost', forced: false });
    // Forced to a backend that cannot make 10 s: the exact one is named as the alternative.
    const forced = routeJob([official, kling], { ...base, seconds: 10, forced: 'official' });
    assert.equal(forced.candidates[0]!.seconds, 8);
    assert.deepEqual(forced.duration?.exact, { backendId: 'kling', backendName: 'kling', estimateMicros: 840_000 });
    assert.equal(forced.duration?.forced, true);
    // An exact backend whose circuit is open goes last, but stays the one to ask for.
    const tripped = routeJob([reseller, kling], { ...base, seconds: 8, isOpen: (b) => b === 'kling' });
    assert.equal(tripped.candidates[0]!.backend.id, 'reseller');
    assert.equal(tripped.duration?.exact?.backendId, 'kling');
  });

  it('refuses an orientation no backend makes rather than changing it', () => {
    const landscapeOnly = declaredBackend('wide', { sizes: { landscape: { '720p': '1280x720' }, portrait: {} } });
    assert.throws(() => routeJob([landscapeOnly], { ...base, orientation: 'portrait' }), /has no 720p portrait size/);
  });
});
