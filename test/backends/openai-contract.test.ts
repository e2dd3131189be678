/**
 * Contract: every request the openai backend can build from its declared
 * capabilities is one the OpenAI Videos API accepts, as its published schema
 * (src/simulator/schemas/openai.ts, from openai-node) says. The simulator
 * validates field by field and answers 400 like OpenAI does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request as httpRequest } from 'undici';
import { createOpenAiBackend } from '../../src/backends/openai.js';
import { ManualClock } from '../../src/core/clock.js';
import type { ProviderError } from '../../src/core/errors.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { madeBy, refusedCombinations } from '../helpers/contract.js';
import { generationRequest } from '../helpers/provider-fixtures.js';

const KEY = 'sk-openai-contract-0001';
const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe('openai backend contract against the validating simulator', { timeout: 120_000 }, () => {
  let sim: Simulator;
  let dir: string;
  const clock = new ManualClock();

  before(async () => {
    sim = await startSimulator({ clock, apiKey: KEY, concurrency: 4 });
    dir = await mkdtemp(join(tmpdir(), 'openai-contract-'));
  });

  after(async () => {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const backend = () =>
    createOpenAiBackend({ baseUrl: sim.openaiBaseUrl, apiKey: KEY, model: 'sora-2', clock, logger: silentLogger, random: () => 0, retry: { maxAttempts: 1 } });

  it('accepts every duration, orientation, resolution, sound, character count and image input the backend declares', async () => {
    const b = backend();
    try {
      const characters: BoundCharacter[] = [];
      for (const name of ['Mascot', 'Robot']) {
        const binding = await b.createCharacter({ name, description: '', clipPath: SAMPLE_CLIP_PATH, clipUrl: undefined, providerJobId: undefined, frames: [] });
        characters.push({ name, description: '', binding });
      }
      const imagePath = join(dir, 'first-frame.png');
      await writeFile(imagePath, Buffer.concat([PNG_HEAD, Buffer.from('frame')]));
      const { tried, refused } = await refusedCombinations(b, { characters, imagePath, made: madeBy(sim.jobs) });
      assert.deepEqual(refused, [], `${refused.length} of ${tried} combinations refused:\n${refused.join('\n')}`);
      // 3 durations × 2 sizes (720p, both orientations, always with sound) × 0–2 characters × with and without an image.
      assert.equal(tried, 3 * 2 * 3 * 2);
      assert.equal(sim.stats.count('openai.create'), tried);
    } finally {
      await b.close();
    }
  });

  it('refuses a 16 s create as OpenAI does: 16 and 20 exist only for extensions', async () => {
    const res = await httpRequest(`${sim.openaiBaseUrl}/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a fox', model: 'sora-2', seconds: '16', size: '1280x720' }),
    });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(await res.body.json(), {
      error: { message: "Invalid value: '16'. Supported values are: '4', '8', '12'.", type: 'invalid_request_error', param: 'seconds', code: 'invalid_value' },
    });
  });

  it('refuses seconds sent as a number, and an unknown parameter', async () => {
    const send = async (body: unknown) => {
      const res = await httpRequest(`${sim.openaiBaseUrl}/videos`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.statusCode, body: (await res.body.json()) as { error: { code: string; param: string } } };
    };
    const numeric = await send({ prompt: 'a fox', seconds: 8 });
    assert.equal(numeric.status, 400);
    assert.equal(numeric.body.error.code, 'invalid_type');
    assert.equal(numeric.body.error.param, 'seconds');
    const unknown = await send({ prompt: 'a fox', duration: '8' });
    assert.equal(unknown.body.error.code, 'unknown_parameter');
    assert.equal(unknown.body.error.param, 'duration');
    const both = await send({ prompt: 'a fox', input_reference: { image_url: 'https://x.test/a.png', file_id: 'file_1' } });
    assert.equal(both.body.error.param, 'input_reference');
  });

  it('a restarted provider has forgotten its character ids: the backend says binding_missing', async () => {
    const first = await startSimulator({ clock, apiKey: KEY });
    const port = Number(new URL(first.url).port);
    const b = createOpenAiBackend({ baseUrl: first.openaiBaseUrl, apiKey: KEY, model: 'sora-2', clock, logger: silentLogger, random: () => 0, retry: { maxAttempts: 1 } });
    try {
      const binding = await b.createCharacter({ name: 'Mascot', description: '', clipPath: SAMPLE_CLIP_PATH, clipUrl: undefined, providerJobId: undefined, frames: [] });
      const mascot: BoundCharacter = { name: 'Mascot', description: '', binding };
      await b.submit(generationRequest({ prompt: 'Mascot waves', seconds: 4, characters: [mascot] }));
      await first.stop();
      const second = await startSimulator({ clock, apiKey: KEY, port });
      try {
        const error = await b.submit(generationRequest({ prompt: 'Mascot waves again', seconds: 4, characters: [mascot] })).then(
          () => assert.fail('the forgotten character must be refused'),
          (e: unknown) => e as ProviderError,
        );
        assert.equal(error.kind, 'binding_missing');
        assert.equal(error.providerCode, 'character_not_found');
      } finally {
        await second.stop();
      }
    } finally {
      await b.close();
    }
  });
});
