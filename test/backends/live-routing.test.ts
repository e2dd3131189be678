/**
 * The router over the live backends' declared capabilities (no network): it
 * chooses by what a backend can hold and by price, never by name.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFalBackend } from '../../src/backends/fal.js';
import { DEFAULT_FAL_MODELS } from '../../src/backends/fal-models.js';
import { createGeminiBackend } from '../../src/backends/gemini.js';
import { createKlingBackend } from '../../src/backends/kling.js';
import { ManualClock } from '../../src/core/clock.js';
import { routeJob, type RouteRequest } from '../../src/core/router.js';
import { silentLogger } from '../../src/log.js';
import { character } from '../helpers/fixtures.js';

const clock = new ManualClock();
const common = { clock, logger: silentLogger };
const backends = [
  ...DEFAULT_FAL_MODELS.map((model) => createFalBackend({ model, queueUrl: 'http://127.0.0.1:9/fal', apiKey: 'k', ...common })),
  createGeminiBackend({ apiUrl: 'http://127.0.0.1:9/gemini', apiKey: 'k', ...common }),
  createKlingBackend({ apiUrl: 'http://127.0.0.1:9/kling', accessKey: 'a', secretKey: 's', ...common }),
];

const route = (extra: Partial<RouteRequest>) =>
  routeJob(backends, { characters: [], seconds: 8, orientation: 'landscape', resolution: '720p', audio: 'off', audioChosen: false, hasImage: false, forced: undefined, policy: 'cost', isOpen: () => false, ...extra });

describe('routing over the live backends', () => {
  it('orders by price under the cost policy, silent first (the default sound): Kling and Kling O3 on fal $0.084/s, Wan 2.7 $0.10/s, …; then Veo on Gemini, which always makes sound', () => {
    const r = route({});
    const order = r.candidates.map((c) => `${c.backend.id}:${c.estimateMicros}`);
    // Ties on price go to the more stable backend (first-party Kling before fal).
    assert.deepEqual(order.slice(0, 4), ['kling:672000', 'fal-kling-o3:672000', 'fal-wan27:800000', 'fal-veo31:1600000']);
    assert.equal(order.at(-1), 'gemini:800000');
    const silent = r.candidates.filter((c) => c.audio === 'off');
    for (let i = 1; i < silent.length; i++) assert.ok(silent[i - 1]!.estimateMicros <= silent[i]!.estimateMicros);
    // With sound as the team's default, Veo 3.1 Fast on Gemini ($0.10/s with sound) is the cheapest.
    assert.equal(route({ audio: 'on' }).candidates[0]!.backend.id, 'gemini');
  });

  it('follows a price override into the choice', () => {
    const cheapWan = createFalBackend({ model: DEFAULT_FAL_MODELS.find((m) => m.key === 'wan27')!, queueUrl: 'http://127.0.0.1:9/fal', apiKey: 'k', priceOverrides: { '720p': { any: 50_000 } }, ...common });
    const r = routeJob([...backends.filter((b) => b.id !== 'fal-wan27'), cheapWan], { characters: [], seconds: 8, orientation: 'landscape', resolution: '720p', audio: 'off', audioChosen: false, hasImage: false, forced: undefined, policy: 'cost', isOpen: () => false });
    assert.equal(r.candidates[0]!.backend.id, 'fal-wan27');
  });

  it('chooses by capability: a portrait character video skips Veo on Gemini (reference mode is 16:9 only)', () => {
    const r = route({ characters: [character('mascot')], orientation: 'portrait' });
    assert.ok(!r.candidates.some((c) => c.backend.id === 'gemini'));
    assert.ok(r.candidates.some((c) => c.backend.id === 'kling'));
  });

  it('chooses by capability: five characters fit only Kling (up to 7 elements) and Wan 2.7 (5 by position); six only Kling', () => {
    const five = ['a1', 'b2', 'c3', 'd4', 'e5'].map((n) => character(n));
    assert.deepEqual(route({ characters: five }).candidates.map((c) => c.backend.id), ['kling', 'fal-wan27']);
    assert.deepEqual(route({ characters: [...five, character('f6')] }).candidates.map((c) => c.backend.id), ['kling']);
  });

  it('fits durations per backend: Veo gets 8 s whatever was asked, Kling keeps 5 s', () => {
    const r = route({ seconds: 5 });
    const by = new Map(r.candidates.map((c) => [c.backend.id, c.seconds]));
    assert.equal(by.get('gemini'), 8);
    assert.equal(by.get('fal-veo31'), 8);
    assert.equal(by.get('kling'), 5);
  });
});
