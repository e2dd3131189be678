/**
 * Contract: every request the apiyi backend can build from its declared
 * capabilities is one the seed's character API accepts, as far as that shape
 * is known (src/simulator/schemas/apiyi.ts: unconfirmed by any published spec).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiyiBackend } from '../../src/backends/apiyi.js';
import { ManualClock } from '../../src/core/clock.js';
import type { ProviderError } from '../../src/core/errors.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { madeBy, refusedCombinations } from '../helpers/contract.js';
import { generationRequest, renderFor } from '../helpers/provider-fixtures.js';

const KEY = 'sk-apiyi-contract-0001';

describe('apiyi backend contract against the validating simulator', { timeout: 120_000 }, () => {
  let sim: Simulator;
  const clock = new ManualClock();

  before(async () => {
    sim = await startSimulator({ clock, apiKey: KEY });
  });
  after(async () => {
    await sim.stop();
  });

  it('accepts every duration, orientation and character count the backend declares', async () => {
    const b = createApiyiBackend({ baseUrl: sim.apiyiBaseUrl, apiKey: KEY, clock, logger: silentLogger, random: () => 0, retry: { maxAttempts: 1 } });
    try {
      const characters: BoundCharacter[] = [];
      for (const name of ['mascot', 'robot']) {
        const binding = await b.createCharacter({
          name,
          description: `${name} description`,
          clipPath: undefined,
          clipUrl: `https://media.example.test/${name}.mp4`,
          providerJobId: undefined,
          frames: [],
        });
        characters.push({ name, description: '', binding });
      }
      const { tried, refused } = await refusedCombinations(b, { characters, made: madeBy(sim.jobs) });
      assert.deepEqual(refused, [], `${refused.length} of ${tried} combinations refused:\n${refused.join('\n')}`);
      // 2 durations × 2 orientations (720p with sound only) × 0–2 characters; no image input.
      assert.equal(tried, 2 * 2 * 3);
      assert.equal(sim.stats.count('apiyi.generate'), tried);
    } finally {
      await b.close();
    }
  });

  it('a restarted provider has forgotten its character ids: the backend says binding_missing', async () => {
    const first = await startSimulator({ clock, apiKey: KEY });
    const port = Number(new URL(first.url).port);
    const b = createApiyiBackend({ baseUrl: first.apiyiBaseUrl, apiKey: KEY, clock, logger: silentLogger, random: () => 0, retry: { maxAttempts: 1 } });
    try {
      const binding = await b.createCharacter({ name: 'mascot', description: '', clipPath: undefined, clipUrl: 'https://media.example.test/m.mp4', providerJobId: undefined, frames: [] });
      const mascot: BoundCharacter = { name: 'mascot', description: '', binding };
      const prompt = renderFor(b, '@mascot waves', [mascot]);
      await b.submit(generationRequest({ prompt, seconds: 10, characters: [mascot] }));
      await first.stop();
      const second = await startSimulator({ clock, apiKey: KEY, port });
      try {
        const error = await b.submit(generationRequest({ prompt, seconds: 10, characters: [mascot] })).then(
          () => assert.fail('the forgotten character must be refused'),
          (e: unknown) => e as ProviderError,
        );
        assert.equal(error.kind, 'binding_missing');
      } finally {
        await second.stop();
      }
    } finally {
      await b.close();
    }
  });
});
