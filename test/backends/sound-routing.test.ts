/**
 * `--audio` and `--resolution` over every real backend's declared capabilities (no network): the
 * router keeps only backends that can honour a sound the user chose, prefers the team's default sound
 * where it can, drops backends without the resolution asked for, and prices each candidate at the
 * rate for that resolution and sound. That each backend then sends the right audio and resolution
 * fields is the contract tests' part (test/backends/*-contract.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBackends, type SimulatedEndpoints } from '../../src/backends/index.js';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { rateOf } from '../../src/core/pricing.js';
import { routeJob, type RouteRequest } from '../../src/core/router.js';
import { silentLogger } from '../../src/log.js';

const nowhere = 'http://127.0.0.1:9';
const endpoints: SimulatedEndpoints = {
  openaiBaseUrl: `${nowhere}/v1`,
  apiyiBaseUrl: `${nowhere}/apiyi`,
  falQueueUrl: `${nowhere}/fal`,
  geminiApiUrl: `${nowhere}/gemini`,
  klingApiUrl: `${nowhere}/kling`,
  viduApiUrl: `${nowhere}/vidu`,
};
const everyBackend = (env: Record<string, string> = {}) =>
  createBackends(loadConfig({ DATA_DIR: '/tmp/sound-routing', ...env }), { clock: new ManualClock(), logger: silentLogger, simulator: endpoints });

const legacy = everyBackend();
const omni30 = everyBackend({ KLING_API_FORMAT: 'kling-3.0' });

const request = (extra: Partial<RouteRequest>): RouteRequest => ({
  characters: [],
  seconds: 8,
  orientation: 'landscape',
  resolution: '720p',
  audio: 'off',
  audioChosen: false,
  hasImage: false,
  forced: undefined,
  policy: 'cost',
  isOpen: () => false,
  ...extra,
});

const ids = (route: ReturnType<typeof routeJob>) => route.candidates.map((c) => c.backend.id).sort();

describe('routing by sound', () => {
  it('--audio on goes only to backends that make sound, each estimated at its price with sound', () => {
    const route = routeJob(legacy, request({ audio: 'on', audioChosen: true }));
    assert.deepEqual(ids(route), ['apiyi', 'fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'gemini', 'openai']);
    for (const c of route.candidates) {
      assert.equal(c.audio, 'on');
      const rate = rateOf(c.backend.capabilities.price, '720p', 'on')!;
      assert.equal(c.estimateMicros, c.backend.capabilities.price.kind === 'per-second' ? rate * c.seconds : rate, c.backend.id);
    }
    // Veo 3.1 on fal: $0.40/s with sound, 8 s.
    assert.equal(route.candidates.find((c) => c.backend.id === 'fal-veo31')!.estimateMicros, 3_200_000);
    // Kling's 3.0 format has a sound switch (`settings.audio: native`), the legacy body has none.
    assert.ok(ids(routeJob(omni30, request({ audio: 'on', audioChosen: true }))).includes('kling'));
  });

  it('--audio off goes only to backends that can be silent, each estimated at its silent price', () => {
    const route = routeJob(legacy, request({ audio: 'off', audioChosen: true }));
    assert.deepEqual(ids(route), ['fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'fal-wan27', 'kling', 'vidu']);
    for (const c of route.candidates) {
      assert.equal(c.audio, 'off');
      assert.equal(c.estimateMicros, rateOf(c.backend.capabilities.price, '720p', 'off')! * c.seconds, c.backend.id);
    }
    // The same Veo 3.1 on fal, silent: $0.20/s.
    assert.equal(route.candidates.find((c) => c.backend.id === 'fal-veo31')!.estimateMicros, 1_600_000);
  });

  it('refuses with a sentence when the one backend asked for cannot honour the sound', () => {
    assert.throws(() => routeJob(legacy, request({ audio: 'off', audioChosen: true, forced: 'gemini' })), /cannot make a silent video/);
    assert.throws(() => routeJob(legacy, request({ audio: 'on', audioChosen: true, forced: 'fal-wan27' })), /makes no sound/);
  });

  it("the team's default sound is preferred, not required: silent backends first, then the others at their own sound", () => {
    const route = routeJob(legacy, request({ audio: 'off', audioChosen: false }));
    const sounds = route.candidates.map((c) => c.audio);
    assert.equal(sounds.indexOf('on'), route.candidates.filter((c) => c.audio === 'off').length, 'every silent candidate comes before any with sound');
    assert.equal(route.candidates[0]!.audio, 'off');
    assert.deepEqual(route.candidates.filter((c) => c.audio === 'on').map((c) => c.backend.id).sort(), ['apiyi', 'gemini', 'openai']);
    // A backend named with --backend that only makes sound still runs, with sound, priced so.
    const forced = routeJob(legacy, request({ audio: 'off', audioChosen: false, forced: 'gemini' })).candidates[0]!;
    assert.equal(forced.audio, 'on');
    assert.equal(forced.estimateMicros, 800_000);
  });
});

describe('routing by resolution', () => {
  it('--resolution 1080p is priced at each backend’s 1080p rate, at its 1080p size; backends without 1080p are not chosen', () => {
    const route = routeJob(legacy, request({ resolution: '1080p' }));
    assert.deepEqual(ids(route), ['fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'fal-wan27', 'gemini', 'kling', 'vidu']);
    for (const c of route.candidates) {
      assert.equal(c.size, '1920x1080', c.backend.id);
      assert.equal(c.estimateMicros, rateOf(c.backend.capabilities.price, '1080p', c.audio)! * c.seconds, c.backend.id);
    }
    const by = new Map(route.candidates.map((c) => [c.backend.id, c.estimateMicros]));
    // Vidu $0.20/s at 1080p against $0.10/s at 720p; Gemini (Veo 3.1 Fast, with sound) $0.12/s against $0.10/s.
    assert.equal(by.get('vidu'), 1_600_000);
    assert.equal(by.get('gemini'), 960_000);
    assert.throws(() => routeJob(legacy, request({ resolution: '1080p', forced: 'openai' })), /has no 1080p landscape size/);
  });

  it('--resolution 4k leaves only the backends that make 4K', () => {
    assert.deepEqual(ids(routeJob(legacy, request({ resolution: '4k' }))), ['fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'gemini']);
  });
});
