/**
 * Contract of the Gemini (Veo 3.1) backend against the simulator: the
 * predictLongRunning body with asset reference images, `x-goog-api-key`,
 * operation polling, download with the key, the reference-mode limits and
 * errors as core kinds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createGeminiBackend, type GeminiBackend } from '../../src/backends/gemini.js';
import { silentLogger } from '../../src/log.js';
import { generationRequest, imageBound, renderFor } from '../helpers/provider-fixtures.js';
import { providerRejection, simulatorFixture } from '../helpers/simulator-fixture.js';

const KEY = 'gemini-test-key-0001';
const fx = simulatorFixture({ renderMsPerVideoSecond: 1000, concurrency: 4, gemini: { apiKey: KEY }, render: { ffmpegPath: false } });

function gemini(extra: Partial<Parameters<typeof createGeminiBackend>[0]> = {}): GeminiBackend {
  const b = createGeminiBackend({ apiUrl: fx.sim.geminiApiUrl, apiKey: KEY, clock: fx.clock, logger: silentLogger, random: () => 0.5, retry: { maxAttempts: 1 }, ...extra });
  return fx.track(b);
}

describe('gemini backend (Veo 3.1)', () => {
  it('declares reference images, description mentions and the configured reference mode as capabilities', () => {
    const strict = gemini();
    assert.deepEqual(strict.capabilities.characters, { binding: 'reference-images', max: 3, mention: { kind: 'description' } });
    assert.deepEqual(strict.capabilities.seconds, [8]);
    assert.deepEqual(strict.capabilities.sizes.portrait, {});
    const relaxed = gemini({ referenceMode: { seconds: [4, 6, 8], orientations: ['landscape', 'portrait'] } });
    assert.deepEqual(relaxed.capabilities.seconds, [4, 6, 8]);
    assert.equal(relaxed.capabilities.sizes.portrait['720p'], '720x1280');
  });

  it('sends one character as 3 base64 asset references with the key header, and the fast model for standard quality', async () => {
    const backend = gemini();
    const mascot = await imageBound('mascot', 'an orange fox mascot with a blue scarf');
    const prompt = renderFor(backend, '@mascot surfs a wave', [mascot]);
    assert.equal(prompt, 'mascot (an orange fox mascot with a blue scarf) surfs a wave');
    const { providerJobId } = await backend.submit(generationRequest({ prompt, characters: [mascot], seconds: 8 }));
    const sent = fx.sim.lastRequest('gemini.predict')!;
    assert.equal(sent.headers['x-goog-api-key'], KEY);
    assert.equal(sent.path, '/gemini/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning');
    const body = sent.json as { instances: { prompt: string; referenceImages: { image: { bytesBase64Encoded: string; mimeType: string }; referenceType: string }[] }[]; parameters: Record<string, unknown> };
    assert.equal(body.instances[0]!.referenceImages.length, 3);
    assert.equal(body.instances[0]!.referenceImages[0]!.referenceType, 'ASSET');
    assert.equal(body.instances[0]!.referenceImages[0]!.image.mimeType, 'image/jpeg');
    assert.match(Buffer.from(body.instances[0]!.referenceImages[0]!.image.bytesBase64Encoded, 'base64').toString('latin1'), /mascot:0/);
    assert.deepEqual(body.parameters, { aspectRatio: '16:9', durationSeconds: 8, resolution: '720p' });
    assert.match(providerJobId, /^models\/veo-3\.1-fast-generate-preview\/operations\//);
  });

  it('describes two characters once each and gives each a frontal reference first', async () => {
    const backend = gemini();
    const a = await imageBound('alice', 'a woman in a yellow raincoat');
    const b = await imageBound('rex', 'a scruffy terrier');
    const prompt = renderFor(backend, '@alice throws a ball; @rex chases it back to @alice', [a, b]);
    assert.equal(prompt, 'alice (a woman in a yellow raincoat) throws a ball; rex (a scruffy terrier) chases it back to alice');
    // 4K runs on Veo 3.1 Standard; 720p and 1080p on Fast.
    await backend.submit(generationRequest({ prompt, characters: [a, b], seconds: 8, resolution: '4k', audio: 'on' }));
    const sent = fx.sim.lastRequest('gemini.predict')!;
    assert.equal(sent.path, '/gemini/v1beta/models/veo-3.1-generate-preview:predictLongRunning');
    const refs = (sent.json as { instances: { referenceImages: { image: { bytesBase64Encoded: string } }[] }[] }).instances[0]!.referenceImages;
    const decoded = refs.map((r) => Buffer.from(r.image.bytesBase64Encoded, 'base64').toString('latin1'));
    assert.match(decoded[0]!, /alice:0/);
    assert.match(decoded[1]!, /rex:0/);
    assert.equal(refs.length, 3);
  });

  it('refuses what reference mode does not allow before calling Veo', async () => {
    const backend = gemini();
    const mascot = await imageBound('mascot');
    const before = fx.sim.stats.count('gemini.predict');
    assert.equal((await providerRejection(backend.submit(generationRequest({ characters: [mascot], seconds: 4 })))).kind, 'invalid_input');
    assert.equal((await providerRejection(backend.submit(generationRequest({ characters: [mascot], seconds: 8, orientation: 'portrait' })))).kind, 'invalid_input');
    assert.equal(fx.sim.stats.count('gemini.predict'), before);
  });

  it('polls the operation until done, then downloads the video with the key', async () => {
    const backend = gemini();
    const { providerJobId } = await backend.submit(generationRequest({ seconds: 4 }));
    assert.equal((await backend.status(providerJobId)).state, 'running');
    assert.match(fx.sim.lastRequest('gemini.operation')!.path, /^\/gemini\/v1beta\/models\/veo-3\.1-fast-generate-preview\/operations\//);
    await fx.clock.advance(5_000);
    const done = await backend.status(providerJobId);
    assert.equal(done.state, 'completed');
    const result = await backend.openResult(providerJobId);
    const chunks: Buffer[] = [];
    for await (const chunk of result.body) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).subarray(4, 8).toString('latin1'), 'ftyp');
    assert.equal(fx.sim.lastRequest('gemini.download')!.headers['x-goog-api-key'], KEY);
  });

  it('maps a filtered output to moderation, a bad key to auth, 429 to rate_limit and 500 to transient', async () => {
    fx.sim.faults.inject({ protocol: 'gemini', fault: 'moderation', times: 1 });
    const backend = gemini();
    const { providerJobId } = await backend.submit(generationRequest({ seconds: 4 }));
    await fx.clock.advance(5_000);
    const filtered = await backend.status(providerJobId);
    assert.equal(filtered.state, 'failed');
    assert.equal(filtered.error?.kind, 'moderation');

    assert.equal((await providerRejection(gemini({ apiKey: 'wrong' }).submit(generationRequest({ seconds: 4 })))).kind, 'auth');
    fx.sim.faults.inject({ protocol: 'gemini', fault: '429', times: 1 });
    assert.equal((await providerRejection(backend.submit(generationRequest({ seconds: 4 })))).kind, 'rate_limit');
    fx.sim.faults.inject({ protocol: 'gemini', fault: '500', times: 1 });
    assert.equal((await providerRejection(backend.status(providerJobId))).kind, 'transient');
  });
});
