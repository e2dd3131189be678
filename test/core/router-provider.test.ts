/**
 * `--backend <provider>`: a provider name picks the cheapest of that provider's backends that can
 * take the request (the others stay as fallbacks); an exact backend id still picks exactly that one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserFacingError } from '../../src/core/errors.js';
import { describeRouteReason } from '../../src/core/present.js';
import { routeJob, type RouteRequest } from '../../src/core/router.js';
import { character, declaredBackend } from '../helpers/fixtures.js';

const perSecond = (rate: number) => ({ kind: 'per-second' as const, microsPerSecond: { '720p': { on: rate, off: rate }, '1080p': { on: rate * 2, off: rate * 2 } } });
const images = (max: number) => ({ binding: 'reference-images' as const, max, mention: { kind: 'description' as const } });
const falCheap = declaredBackend('fal-cheap', { provider: 'fal', price: perSecond(84_000), characters: images(2) });
const falWide = declaredBackend('fal-wide', { provider: 'fal', price: perSecond(100_000), characters: images(5) });
const falDear = declaredBackend('fal-dear', { provider: 'fal', price: perSecond(400_000), characters: images(3) });
const gemini = declaredBackend('gemini', { provider: 'gemini', price: perSecond(50_000), characters: images(3) });
const openai = declaredBackend('openai', { price: perSecond(10_000) });
const all = [falDear, falWide, falCheap, gemini, openai];

const base: RouteRequest = { characters: [], seconds: 8, orientation: 'landscape', resolution: '720p', audio: 'off', audioChosen: false, hasImage: false, forced: undefined, policy: 'stability', isOpen: () => false };
const withClip = (name: string) => character(name, { clipPath: `/clips/${name}.mp4` });

describe('--backend <provider>', () => {
  it('picks the cheapest of the provider’s backends, whatever the team policy, with the rest of them as fallbacks', () => {
    const route = routeJob(all, { ...base, forced: 'fal' });
    assert.deepEqual(route.candidates.map((c) => c.backend.id), ['fal-cheap', 'fal-wide', 'fal-dear']);
    assert.match(describeRouteReason(route.reason), /fal-cheap: the cheapest of 3 fal backends/);
  });

  it('skips the provider’s backends that cannot take the request (here: three characters)', () => {
    const route = routeJob(all, { ...base, forced: 'FAL', characters: [withClip('a'), withClip('b'), withClip('c')] });
    assert.deepEqual(route.candidates.map((c) => c.backend.id), ['fal-wide', 'fal-dear']);
  });

  it('still picks exactly the backend an exact id names', () => {
    assert.deepEqual(routeJob(all, { ...base, forced: 'fal-dear' }).candidates.map((c) => c.backend.id), ['fal-dear']);
    // A backend whose id is also its provider name (`openai`, `gemini`) is that one backend.
    assert.deepEqual(routeJob(all, { ...base, forced: 'gemini' }).candidates.map((c) => c.backend.id), ['gemini']);
  });

  it('says which of the provider’s backends fail and why, when none can take it', () => {
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map(withClip);
    assert.throws(() => routeJob(all, { ...base, forced: 'fal', characters: six }), (e: unknown) => e instanceof UserFacingError && e.code === 'backend_unsuitable' && /No fal backend can make this video: fal-dear holds at most 3/.test(e.userMessage));
  });

  it('lists the exact ids and the provider names for an unknown name', () => {
    assert.throws(() => routeJob(all, { ...base, forced: 'vidu' }), (e: unknown) => e instanceof UserFacingError && /Available: fal-dear, fal-wide, fal-cheap, gemini, openai, or a provider: fal\./.test(e.userMessage));
  });
});
