/**
 * Contract of the Gemini (Veo 3.1) backend against the VALIDATING Gemini simulator: each combination
 * its capabilities declare (duration, orientation, resolution, sound, 0..max reference images) goes
 * through the real backend code and must pass the predictLongRunning body schema written from js-genai's
 * converters (src/simulator/schemas/gemini.ts), and the clip made must have the size asked for, with sound. Also: Vertex's `-001` ids are refused at config and
 * answered 404 by the API, and a 400 on the bot's own request is the bot's problem.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGeminiBackend, type GeminiBackend } from '../../src/backends/gemini.js';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { ProviderError } from '../../src/core/errors.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { madeBy, refusedCombinations } from '../helpers/contract.js';
import { generationRequest, imageBound, renderFor } from '../helpers/provider-fixtures.js';

const KEY = 'gemini-contract-key';
let clock: ManualClock;
let sim: Simulator;
const backends: GeminiBackend[] = [];
let cast: BoundCharacter[] = [];

const gemini = (extra: Partial<Parameters<typeof createGeminiBackend>[0]> = {}): GeminiBackend => {
  const b = createGeminiBackend({ apiUrl: sim.geminiApiUrl, apiKey: KEY, clock, logger: silentLogger, retry: { maxAttempts: 1 }, ...extra });
  backends.push(b);
  return b;
};

before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000, gemini: { apiKey: KEY }, render: { ffmpegPath: false } });
  cast = await Promise.all(['ann', 'ben', 'cat', 'dan'].map((n) => imageBound(n, `${n}, a character`)));
});
after(async () => {
  await Promise.all(backends.map((b) => b.close()));
  await sim.stop();
});

describe('gemini contract', () => {
  it('every declared combination passes the schema from js-genai', async () => {
    const backend = gemini();
    const { tried, refused, combinations } = await refusedCombinations(backend, { characters: cast, prompt: 'share an umbrella', made: madeBy(sim.jobs) });
    assert.deepEqual(refused, [], `${refused.length} of ${tried} rejected`);
    assert.ok(tried >= 8);
    // Veo on the Gemini API always makes sound (no `generateAudio` there): only requests with sound are declared.
    assert.deepEqual([...new Set(combinations.map((c) => c.audio))], ['on']);
    assert.deepEqual([...new Set(combinations.map((c) => c.resolution))], ['720p', '1080p', '4k']);
    const body = sim.lastRequest('gemini.predict')!.json as { instances: { referenceImages?: { referenceType: string }[] }[] };
    assert.equal(body.instances[0]!.referenceImages?.[0]?.referenceType, 'ASSET');
  });

  it('refuses `generateAudio`: a Vertex AI parameter the Gemini API does not take', async () => {
    const raw = await fetch(`${sim.geminiApiUrl}/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning`, {
      method: 'POST',
      headers: { 'x-goog-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ prompt: 'x' }], parameters: { generateAudio: false } }),
    });
    assert.equal(raw.status, 400);
  });

  it('refuses a Vertex -001 model id at config with a sentence, and the API answers 404 for one', async () => {
    assert.throws(() => loadConfig({ DATA_DIR: '/tmp/x', GEMINI_MODEL: 'veo-3.1-generate-001' }), /GEMINI_MODEL is a Vertex AI model id .*veo-3\.1-generate-preview/);
    assert.throws(() => gemini({ fastModel: 'veo-3.1-fast-generate-001' }), /GEMINI_FAST_MODEL=veo-3.1-fast-generate-001 is a Vertex AI model id/);
    const raw = await fetch(`${sim.geminiApiUrl}/v1beta/models/veo-3.1-generate-001:predictLongRunning`, {
      method: 'POST',
      headers: { 'x-goog-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ prompt: 'x' }] }),
    });
    assert.equal(raw.status, 404);
    assert.equal(((await raw.json()) as { error: { status: string } }).error.status, 'NOT_FOUND');
  });

  it('answers a wrong body with Google 400 INVALID_ARGUMENT, which the backend reads as the bot’s problem unless it names an option the user chose', async () => {
    const raw = await fetch(`${sim.geminiApiUrl}/v1beta/models/veo-3.1-generate-preview:predictLongRunning`, {
      method: 'POST',
      headers: { 'x-goog-api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ prompt: 'x' }], parameters: { durationSeconds: '8' } }),
    });
    assert.equal(raw.status, 400);
    const body = (await raw.json()) as { error: { code: number; status: string; message: string } };
    assert.equal(body.error.code, 400);
    assert.equal(body.error.status, 'INVALID_ARGUMENT');
    // A backend declaring a duration the API refuses with references: 4 s with an image is a 400 naming durationSeconds.
    const loose = gemini({ referenceMode: { seconds: [4, 8] } });
    const mascot = cast[0]!;
    const prompt = renderFor(loose, '@ann waves', [mascot]);
    const botsFault = await loose.submit(generationRequest({ prompt, characters: [mascot], seconds: 4 })).then(() => undefined, (e: unknown) => e);
    assert.ok(botsFault instanceof ProviderError);
    assert.equal(botsFault.kind, 'rejected_request');
    const usersChoice = await loose.submit(generationRequest({ prompt, characters: [mascot], seconds: 4, userChose: ['seconds'] })).then(() => undefined, (e: unknown) => e);
    assert.ok(usersChoice instanceof ProviderError);
    assert.equal(usersChoice.kind, 'invalid_input');
    assert.equal(usersChoice.field, 'seconds');
  });
});
