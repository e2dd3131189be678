/**
 * Contract of the Kling backend against the simulator: the HS256 JWT (iss,
 * exp, nbf; checked with the configured keys), elements created from frames
 * and polled until they carry an element_id, omni-video with element_list and
 * `<<<element_n>>>`, status mapping, deletion and errors as core kinds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKlingBackend, klingJwt, type KlingBackend } from '../../src/backends/kling.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { driveWhile } from '../helpers/drive.js';
import { frameFiles, generationRequest, renderFor } from '../helpers/provider-fixtures.js';
import { providerRejection, simulatorFixture } from '../helpers/simulator-fixture.js';

const ACCESS = 'kling-access-0001';
const SECRET = 'kling-secret-0001-xyz';
const fx = simulatorFixture({ renderMsPerVideoSecond: 1000, concurrency: 4, kling: { accessKey: ACCESS, secretKey: SECRET, elementMs: 4000 }, render: { ffmpegPath: false } });

function kling(extra: Partial<Parameters<typeof createKlingBackend>[0]> = {}): KlingBackend {
  const b = createKlingBackend({ apiUrl: fx.sim.klingApiUrl, accessKey: ACCESS, secretKey: SECRET, clock: fx.clock, logger: silentLogger, random: () => 0.5, retry: { maxAttempts: 1 }, elementPollMs: 1000, ...extra });
  return fx.track(b);
}

async function element(backend: KlingBackend, name: string): Promise<BoundCharacter> {
  const frames = await frameFiles(name);
  const binding = await driveWhile(fx.clock, backend.createCharacter({ name, description: `${name} the test subject`, clipPath: undefined, clipUrl: undefined, providerJobId: undefined, frames }), { stepMs: 500 });
  return { name, description: `${name} the test subject`, binding };
}

describe('kling backend', () => {
  it('signs an HS256 JWT with iss = access key, exp within 30 minutes and nbf 5 s back', () => {
    const now = Date.UTC(2026, 10, 1);
    const [h, p] = klingJwt(ACCESS, SECRET, now).split('.');
    assert.deepEqual(JSON.parse(Buffer.from(h!, 'base64url').toString()), { alg: 'HS256', typ: 'JWT' });
    assert.deepEqual(JSON.parse(Buffer.from(p!, 'base64url').toString()), { iss: ACCESS, exp: now / 1000 + 1800, nbf: now / 1000 - 5 });
  });

  it('creates an element from a frontal and 3 reference frames, polling until it has an element_id', async () => {
    const backend = kling();
    const before = fx.sim.stats.count('kling.element.get');
    const mascot = await element(backend, 'mascot');
    assert.equal(mascot.binding.kind, 'element');
    const created = fx.sim.lastRequest('kling.element.create')!;
    assert.match(created.headers.authorization!, /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const body = created.json as { element_name: string; reference_type: string; element_image_list: { frontal_image: string; refer_images: { image_url: string }[] } };
    assert.equal(body.element_name, 'mascot');
    assert.equal(body.reference_type, 'image_refer');
    assert.match(Buffer.from(body.element_image_list.frontal_image, 'base64').toString('latin1'), /mascot:0/);
    assert.equal(body.element_image_list.refer_images.length, 3);
    assert.ok(fx.sim.stats.count('kling.element.get') > before, 'the element task was polled');
    const stored = [...fx.sim.kling.elements.values()].find((e) => String(e.elementId) === (mascot.binding as { id: string }).id);
    assert.ok(stored && stored.images === 4);
  });

  it('renders one and two characters as <<<element_n>>> with element_list in the same order, std/pro by quality', async () => {
    const backend = kling();
    const a = await element(backend, 'alice');
    const b = await element(backend, 'bob');
    const one = renderFor(backend, '@alice dances', [a]);
    assert.equal(one, '<<<element_1>>> dances');
    await backend.submit(generationRequest({ prompt: one, characters: [a], seconds: 5 }));
    let body = fx.sim.lastRequest('kling.video.create')!.json as Record<string, unknown>;
    assert.deepEqual(body.element_list, [{ element_id: Number((a.binding as { id: string }).id) }], 'element ids travel as int64 numbers');
    assert.equal(body.model_name, 'kling-v3-omni');
    assert.equal(body.mode, 'std');
    assert.equal(body.duration, '5');

    const two = renderFor(backend, '@bob lifts @alice onto his shoulders', [b, a]);
    assert.equal(two, '<<<element_1>>> lifts <<<element_2>>> onto his shoulders');
    await backend.submit(generationRequest({ prompt: two, characters: [b, a], seconds: 10, resolution: '1080p', orientation: 'portrait' }));
    body = fx.sim.lastRequest('kling.video.create')!.json as Record<string, unknown>;
    assert.deepEqual(body.element_list, [{ element_id: Number((b.binding as { id: string }).id) }, { element_id: Number((a.binding as { id: string }).id) }]);
    assert.equal(body.mode, 'pro');
    assert.equal(body.aspect_ratio, '9:16');
    assert.equal(typeof body.external_task_id, 'string');
  });

  it('maps submitted → queued, processing → running, succeed → completed with the video, and downloads it', async () => {
    const backend = kling();
    await fx.clock.advance(60_000); // earlier tests' jobs leave the simulator's 4 render slots
    const { providerJobId } = await backend.submit(generationRequest({ seconds: 3 }));
    const others = [];
    for (let i = 0; i < 4; i++) others.push(await backend.submit(generationRequest({ seconds: 3 })));
    assert.equal((await backend.status(providerJobId)).state, 'running');
    assert.equal((await backend.status(others[3]!.providerJobId)).state, 'queued');
    await fx.clock.advance(4_000);
    const done = await backend.status(providerJobId);
    assert.equal(done.state, 'completed');
    assert.equal(done.seconds, 3);
    const result = await backend.openResult(providerJobId);
    const chunks: Buffer[] = [];
    for await (const chunk of result.body) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).subarray(4, 8).toString('latin1'), 'ftyp');
  });

  it('deletes the element with {element_id} as a number, after which a video naming it is binding_missing (so the core recreates it)', async () => {
    const backend = kling();
    const gone = await element(backend, 'ghost');
    await backend.deleteCharacter(gone.binding);
    assert.deepEqual(fx.sim.lastRequest('kling.element.delete')!.json, { element_id: Number((gone.binding as { id: string }).id) });
    const refused = await providerRejection(backend.submit(generationRequest({ prompt: '<<<element_1>>> waves', characters: [gone] })));
    assert.equal(refused.kind, 'binding_missing');
    // Deleting it again finds nothing on Kling's side: that is a deletion that already happened.
    await backend.deleteCharacter(gone.binding);
  });

  it('maps a wrong secret and an expired token to auth, 429 to rate_limit and a risk-control failure to moderation', async () => {
    assert.equal((await providerRejection(kling({ secretKey: 'not-the-secret' }).submit(generationRequest()))).kind, 'auth');
    const skewed = kling();
    const realNow = fx.clock.now();
    // A token minted 31 minutes "ago" has expired on the provider's clock.
    const stale = createKlingBackend({ apiUrl: fx.sim.klingApiUrl, accessKey: ACCESS, secretKey: SECRET, clock: { now: () => realNow - 31 * 60_000, sleep: (ms, s) => fx.clock.sleep(ms, s) }, logger: silentLogger, retry: { maxAttempts: 1 } });
    fx.track(stale);
    assert.equal((await providerRejection(stale.submit(generationRequest()))).kind, 'auth');
    fx.sim.faults.inject({ protocol: 'kling', fault: '429', times: 1 });
    assert.equal((await providerRejection(skewed.submit(generationRequest()))).kind, 'rate_limit');
    fx.sim.faults.inject({ protocol: 'kling', fault: 'moderation', times: 1 });
    const { providerJobId } = await skewed.submit(generationRequest({ seconds: 3 }));
    await fx.clock.advance(4_000);
    const failed = await skewed.status(providerJobId);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.kind, 'moderation');
  });
});
