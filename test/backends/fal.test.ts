/**
 * Contract of the fal backends against the fal queue simulator over loopback
 * HTTP: request shapes and the `Key` auth, reference syntax per model, queue
 * position and log progress, result download, cancel, and errors as core kinds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFalBackend, falWebhookStatus, progressFromLogs, type FalBackend } from '../../src/backends/fal.js';
import { DEFAULT_FAL_MODELS, resolveFalModels, type FalModel } from '../../src/backends/fal-models.js';
import { silentLogger } from '../../src/log.js';
import { driveWhile } from '../helpers/drive.js';
import { generationRequest, imageBound, renderFor } from '../helpers/provider-fixtures.js';
import { providerRejection, simulatorFixture } from '../helpers/simulator-fixture.js';

const KEY = 'fal-test-key-0001';
const model = (key: string): FalModel => DEFAULT_FAL_MODELS.find((m) => m.key === key)!;

const fx = simulatorFixture({ renderMsPerVideoSecond: 1000, concurrency: 1, fal: { apiKey: KEY }, render: { ffmpegPath: false } });

function fal(key: string, apiKey = KEY): FalBackend {
  const b = createFalBackend({ model: model(key), queueUrl: fx.sim.falQueueUrl, apiKey, clock: fx.clock, logger: silentLogger, random: () => 0.5, retry: { maxAttempts: 2, baseDelayMs: 10 } });
  return fx.track(b);
}

describe('fal backends', () => {
  it('declares each default model as its own backend with its reference syntax and price', () => {
    const ids = resolveFalModels([], undefined).map((m) => `fal-${m.key}`);
    assert.deepEqual(ids, ['fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'fal-wan27']);
    const kling = fal('kling-o3');
    assert.equal(kling.id, 'fal-kling-o3');
    assert.deepEqual(kling.capabilities.characters, { binding: 'reference-images', max: 4, mention: { kind: 'indexed', template: '@Element{n}' } });
    // Silent and with sound per resolution: 720p on the standard endpoint, 1080p on pro, 4K on the 4k endpoint.
    assert.deepEqual(kling.capabilities.price, {
      kind: 'per-second',
      microsPerSecond: { '720p': { off: 84_000, on: 112_000 }, '1080p': { off: 112_000, on: 168_000 }, '4k': { off: 420_000, on: 420_000 } },
    });
    assert.deepEqual(kling.capabilities.sizes.portrait, { '720p': '720x1280', '1080p': '1080x1920', '4k': '2160x3840' });
    assert.equal(kling.capabilities.completion, 'webhook');
    assert.equal(kling.capabilities.progress, 'queue-position');
    assert.deepEqual(fal('veo31').capabilities.seconds, [8]);
    // Wan 2.7 has no sound switch: silent only, no 4K.
    assert.deepEqual(fal('wan27').capabilities.price, { kind: 'per-second', microsPerSecond: { '720p': { off: 100_000 }, '1080p': { off: 100_000 } } });
    // Seedance 2.0 by tokens: 1280×720×24/1024 = 21,600 and 1920×1080×24/1024 = 48,600 tokens/s at 14 µ$ each; sound costs nothing more.
    const seedance = fal('seedance2').capabilities.price;
    assert.ok(seedance.kind === 'per-second');
    assert.deepEqual(seedance.microsPerSecond['720p'], { off: 302_400, on: 302_400 });
    assert.deepEqual(seedance.microsPerSecond['1080p'], { off: 680_400, on: 680_400 });
    // Veo 3.1 on fal: $0.20/s silent, $0.40/s with sound; 4K $0.40/$0.60.
    assert.deepEqual(fal('veo31').capabilities.price, { kind: 'per-second', microsPerSecond: { '720p': { off: 200_000, on: 400_000 }, '1080p': { off: 200_000, on: 400_000 }, '4k': { off: 400_000, on: 600_000 } } });
  });

  it('FAL_MODELS_JSON patches a default model and FAL_MODELS narrows the list', () => {
    const models = resolveFalModels(['wan27'], JSON.stringify([{ key: 'wan27', endpoint: { standard: 'fal-ai/wan/v9/r2v' }, tiers: { '720p': { landscape: '1280x720', usdPerSecond: { off: 0.05 } } } }]));
    assert.equal(models.length, 1);
    assert.equal(models[0]!.endpoint.standard, 'fal-ai/wan/v9/r2v');
    assert.equal(models[0]!.references.field, 'reference_image_urls');
    assert.throws(() => resolveFalModels(['nope'], undefined), /nope/);
  });

  it('submits Kling O3 with one character as @Element1, a data-URI element, Key auth and the webhook URL', async () => {
    const backend = fal('kling-o3');
    const mascot = await imageBound('mascot');
    const prompt = renderFor(backend, '@mascot waves at the camera', [mascot]);
    assert.equal(prompt, '@Element1 waves at the camera');
    const { providerJobId } = await backend.submit(generationRequest({ prompt, characters: [mascot], seconds: 5, webhookUrl: 'http://127.0.0.1:9/webhooks/fal-kling-o3' }));
    const sent = fx.sim.lastRequest('fal.submit')!;
    assert.equal(sent.headers.authorization, `Key ${KEY}`);
    assert.equal(sent.path, '/fal/fal-ai/kling-video/o3/standard/reference-to-video');
    assert.equal(sent.query.fal_webhook, 'http://127.0.0.1:9/webhooks/fal-kling-o3');
    const body = sent.json as { prompt: string; duration: string; aspect_ratio: string; elements: { frontal_image_url: string; reference_image_urls: string[] }[] };
    assert.equal(body.prompt, '@Element1 waves at the camera');
    assert.equal(body.duration, '5');
    assert.equal(body.aspect_ratio, '16:9');
    assert.equal(body.elements.length, 1);
    assert.match(body.elements[0]!.frontal_image_url, /^data:image\/jpeg;base64,/);
    assert.equal(body.elements[0]!.reference_image_urls.length, 3);
    assert.equal(fx.sim.fal.endpointOf(providerJobId), 'fal-ai/kling-video/o3/standard/reference-to-video');
  });

  it('renders two characters as @Image1 and @Image2 on Seedance, one frontal image each, and uses the pro endpoint shape for high quality', async () => {
    const backend = fal('seedance2');
    const a = await imageBound('alice');
    const b = await imageBound('bob');
    const prompt = renderFor(backend, '@alice hands @bob a coffee, then @alice laughs', [a, b]);
    assert.equal(prompt, '@Image1 hands @Image2 a coffee, then @Image1 laughs');
    await backend.submit(generationRequest({ prompt, characters: [a, b], seconds: 6, orientation: 'portrait', resolution: '1080p' }));
    const body = fx.sim.lastRequest('fal.submit')!.json as { image_urls: string[]; aspect_ratio: string; resolution: string };
    assert.equal(body.image_urls.length, 2);
    assert.equal(body.aspect_ratio, '9:16');
    assert.equal(body.resolution, '1080p');
    assert.equal(fx.sim.lastRequest('fal.submit')!.query.fal_webhook, undefined);
  });

  it('describes characters in words on Veo 3.1 and pools at most 3 images over two characters', async () => {
    const backend = fal('veo31');
    const a = await imageBound('alice', 'a tall woman in a red coat');
    const b = await imageBound('bob', 'a small grey robot');
    const prompt = renderFor(backend, '@alice walks @bob home', [a, b]);
    assert.equal(prompt, 'alice (a tall woman in a red coat) walks bob (a small grey robot) home');
    await backend.submit(generationRequest({ prompt, characters: [a, b], seconds: 8 }));
    const body = fx.sim.lastRequest('fal.submit')!.json as { image_urls: string[]; duration: string };
    assert.equal(body.image_urls.length, 3);
    assert.equal(body.duration, '8s');
  });

  it('maps IN_QUEUE with its position, IN_PROGRESS with log percentages, then COMPLETED, and downloads the video', async () => {
    const backend = fal('wan27');
    await fx.clock.advance(60_000); // let earlier tests' jobs leave the one-slot queue
    const first = await backend.submit(generationRequest({ seconds: 4 }));
    const second = await backend.submit(generationRequest({ seconds: 4 }));
    const queued = await backend.status(second.providerJobId);
    assert.equal(queued.state, 'queued');
    assert.equal(queued.queuePosition, 0);
    await fx.clock.advance(2000);
    const running = await backend.status(first.providerJobId);
    assert.equal(running.state, 'running');
    assert.equal(running.progress, 50);
    await fx.clock.advance(2500);
    const done = await backend.status(first.providerJobId);
    assert.equal(done.state, 'completed');
    const result = await backend.openResult(first.providerJobId);
    const chunks: Buffer[] = [];
    for await (const chunk of result.body) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).subarray(4, 8).toString('latin1'), 'ftyp');
    assert.equal(progressFromLogs([{ message: 'step 3/10 (30%)' }, { message: 'no number' }]), 30);
  });

  it('cancels a queued request with PUT …/cancel', async () => {
    const backend = fal('wan27');
    await fx.clock.advance(60_000);
    const a = await backend.submit(generationRequest({ seconds: 4 }));
    const b = await backend.submit(generationRequest({ seconds: 4 }));
    await backend.cancel(b.providerJobId);
    assert.equal(fx.sim.lastRequest('fal.cancel')!.method, 'PUT');
    assert.equal((await providerRejection(backend.status(b.providerJobId))).kind, 'not_found');
    await backend.cancel(a.providerJobId).catch(() => undefined);
  });

  it('maps a wrong key to auth, 429 to rate_limit, 500 to transient and a content-policy block to moderation', async () => {
    await fx.clock.advance(60_000);
    assert.equal((await providerRejection(fal('wan27', 'wrong-key').submit(generationRequest({ seconds: 4 })))).kind, 'auth');
    fx.sim.faults.inject({ protocol: 'fal', fault: '429', route: 'fal.submit', times: 1 });
    assert.equal((await providerRejection(fal('wan27').submit(generationRequest({ seconds: 4 })))).kind, 'rate_limit');
    fx.sim.faults.inject({ protocol: 'fal', fault: '500', route: 'fal.submit', times: 1 });
    const serverError = await providerRejection(fal('wan27').submit(generationRequest({ seconds: 4 })));
    assert.equal(serverError.kind, 'transient');
    // A submit is never retried: fal has no idempotency key, and a retry could bill twice.
    assert.equal(fx.sim.faults.list().length, 0);

    fx.sim.faults.inject({ protocol: 'fal', fault: 'moderation', times: 1 });
    const backend = fal('wan27');
    const { providerJobId } = await backend.submit(generationRequest({ seconds: 2 }));
    const final = await driveWhile(fx.clock, (async () => {
      for (;;) {
        const s = await backend.status(providerJobId);
        if (s.state === 'failed' || s.state === 'completed') return s;
        await fx.clock.sleep(1000);
      }
    })(), { stepMs: 500 });
    assert.equal(final.state, 'failed');
    assert.equal(final.error?.kind, 'moderation');
    assert.equal(final.error?.providerCode, 'content_policy_violation');
  });

  it('reads a webhook body as a status: OK completes, ERROR with a policy detail is moderation', () => {
    assert.equal(falWebhookStatus('fal-x', { status: 'OK', payload: {} }).state, 'completed');
    const failed = falWebhookStatus('fal-x', { status: 'ERROR', payload: { detail: [{ type: 'content_policy_violation' }] } });
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.kind, 'moderation');
  });
});
