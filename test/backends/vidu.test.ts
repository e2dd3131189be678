/**
 * The Vidu backend against the validating simulator: `Token` auth, a stored subject created from a
 * character's frames, reference-to-video naming it as `@1` with `subjects:[{name, server_id}]`,
 * text-to-video without characters, task polling and download, Vidu's error reasons as core kinds,
 * deletion; and the contract: every duration × orientation × quality × subject count the capabilities allow.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createViduBackend, type ViduBackend } from '../../src/backends/vidu.js';
import { describeProviderFailure, type ProviderError } from '../../src/core/errors.js';
import { plainText } from '../../src/core/markup.js';
import { render } from '../../src/core/messages.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import type { Orientation, Resolution } from '../../src/core/types.js';
import { silentLogger } from '../../src/log.js';
import { frameFiles, generationRequest, renderFor } from '../helpers/provider-fixtures.js';
import { providerRejection, simulatorFixture } from '../helpers/simulator-fixture.js';

const providerSentence = (error: ProviderError, backendName: string) => render(describeProviderFailure(error, backendName), plainText);

const KEY = 'vda_test_key_0001';
const fx = simulatorFixture({ renderMsPerVideoSecond: 1000, concurrency: 8, vidu: { apiKey: KEY }, render: { ffmpegPath: false } });

function vidu(extra: Partial<Parameters<typeof createViduBackend>[0]> = {}): ViduBackend {
  const b = createViduBackend({ apiUrl: fx.sim.viduApiUrl, apiKey: KEY, clock: fx.clock, logger: silentLogger, random: () => 0, retry: { maxAttempts: 3, baseDelayMs: 10 }, ...extra });
  return fx.track(b);
}

async function subject(backend: ViduBackend, name: string): Promise<BoundCharacter> {
  const binding = await backend.createCharacter({ name, description: `${name} test subject`, clipPath: undefined, clipUrl: undefined, providerJobId: undefined, frames: await frameFiles(name) });
  return { name, description: `${name} test subject`, binding };
}

describe('vidu backend', () => {
  it('creates a stored subject from up to 3 frames as data URIs, with Token auth', async () => {
    const backend = vidu();
    const mascot = await subject(backend, 'mascot');
    assert.equal(mascot.binding.kind, 'element');
    const sent = fx.sim.lastRequest('vidu.subject.create')!;
    assert.equal(sent.headers.authorization, `Token ${KEY}`);
    const body = sent.json as { name: string; images: string[] };
    assert.equal(body.name, 'mascot');
    assert.equal(body.images.length, 3);
    assert.match(body.images[0]!, /^data:image\/jpeg;base64,/);
    assert.equal(fx.sim.vidu.subjects.get((mascot.binding as { id: string }).id)?.images, 3);
  });

  it('names subjects @1, @2 in the prompt with subjects:[{name, server_id}], an integer duration and a resolution by quality', async () => {
    const backend = vidu();
    const a = await subject(backend, 'ada');
    const b = await subject(backend, 'bo');
    const prompt = renderFor(backend, '@bo hands @ada a kite', [b, a]);
    assert.equal(prompt, '@1 hands @2 a kite');
    await backend.submit(generationRequest({ prompt, characters: [b, a], seconds: 8, resolution: '1080p', orientation: 'portrait' }));
    const body = fx.sim.lastRequest('vidu.reference2video')!.json as Record<string, unknown>;
    assert.deepEqual(body.subjects, [
      { name: '1', server_id: (b.binding as { id: string }).id },
      { name: '2', server_id: (a.binding as { id: string }).id },
    ]);
    assert.equal(body.duration, 8);
    assert.equal(body.resolution, '1080p');
    assert.equal(body.aspect_ratio, '9:16');
    assert.equal(body.model, 'viduq2');
  });

  it('sends a prompt without characters to text-to-video, polls the task to success and downloads the video', async () => {
    const backend = vidu();
    await fx.clock.advance(60_000);
    const { providerJobId } = await backend.submit(generationRequest({ seconds: 3 }));
    assert.equal(fx.sim.lastRequest('vidu.text2video')!.json && (fx.sim.lastRequest('vidu.text2video')!.json as { duration: number }).duration, 3);
    assert.equal((await backend.status(providerJobId)).state, 'running');
    await fx.clock.advance(3_000);
    assert.equal((await backend.status(providerJobId)).state, 'completed');
    const result = await backend.openResult(providerJobId);
    const chunks: Buffer[] = [];
    for await (const chunk of result.body) chunks.push(chunk as Buffer);
    assert.equal(Buffer.concat(chunks).subarray(4, 8).toString('latin1'), 'ftyp');
  });

  it('maps Vidu reasons: CreditInsufficient is quota (not retried), AuditSubmitIllegal moderation, a wrong key auth, a moderated task moderation', async () => {
    const backend = vidu();
    fx.sim.vidu.failNext({ status: 400, reason: 'CreditInsufficient', message: 'insufficient credits' });
    const broke = await providerRejection(backend.submit(generationRequest()));
    assert.equal(broke.kind, 'quota');
    assert.match(providerSentence(broke, 'Vidu'), /out of credit/);
    fx.sim.vidu.failNext({ status: 400, reason: 'AuditSubmitIllegal', message: 'submit is illegal' });
    assert.equal((await providerRejection(backend.submit(generationRequest()))).kind, 'moderation');
    assert.equal((await providerRejection(vidu({ apiKey: 'wrong' }).submit(generationRequest()))).kind, 'auth');
    fx.sim.faults.inject({ protocol: 'vidu', fault: 'moderation', times: 1 });
    const { providerJobId } = await backend.submit(generationRequest({ seconds: 2 }));
    await fx.clock.advance(10_000);
    const failed = await backend.status(providerJobId);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.kind, 'moderation');
  });

  it('a subject Vidu no longer knows is binding_missing; deleting a subject removes it on Vidu and is idempotent', async () => {
    const backend = vidu();
    const gone = await subject(backend, 'ghost');
    await backend.deleteCharacter(gone.binding);
    assert.equal(fx.sim.vidu.subjects.get((gone.binding as { id: string }).id)?.deleted, true);
    const refused = await providerRejection(backend.submit(generationRequest({ prompt: '@1 waves', characters: [gone] })));
    assert.equal(refused.kind, 'binding_missing');
    await backend.deleteCharacter(gone.binding);
  });
});

describe('vidu contract', () => {
  it('reference2video and text2video accept every combination the capabilities allow', async () => {
    const backend = vidu();
    const caps = backend.capabilities;
    const cast: BoundCharacter[] = [];
    for (let i = 0; i < caps.characters.max; i++) cast.push(await subject(backend, `cast${i}`));
    const attempts: Promise<void>[] = [];
    for (const seconds of caps.seconds) {
      for (const orientation of ['landscape', 'portrait'] as Orientation[]) {
        for (const resolution of ['720p', '1080p'] as Resolution[]) {
          for (let count = 0; count <= caps.characters.max; count++) {
            const characters = cast.slice(0, count);
            const prompt = renderFor(backend, `${characters.map((c) => `@${c.name}`).join(' and ') || 'a fox'} cross a bridge`, characters);
            const label = `${seconds}s ${orientation} ${resolution} ${count} subject(s)`;
            attempts.push(
              backend.submit(generationRequest({ prompt, characters, seconds, orientation, resolution, size: caps.sizes[orientation][resolution]! })).then(
                () => undefined,
                (error: unknown) => assert.fail(`${label} was rejected: ${String(error)}`),
              ),
            );
          }
        }
      }
    }
    await Promise.all(attempts);
    assert.equal(attempts.length, 10 * 2 * 2 * 8);
  });
});
