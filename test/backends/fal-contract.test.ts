/**
 * Contract of every fal model backend against the VALIDATING fal simulator: each combination the
 * backend's capabilities declare (every duration, orientation, resolution, sound and reference count
 * from 0 to the most characters it holds, with the reference-image character binding fal takes) goes
 * through the real backend code and must pass the model's published input schema
 * (src/simulator/schemas/fal-*.ts), and the simulator must make what was asked: the frame size of that
 * resolution, with sound exactly when sound was asked for (read from `generate_audio` and the model's
 * defaults). A wrong field type, name or value is a 422 and fails here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFalBackend, type FalBackend } from '../../src/backends/fal.js';
import { DEFAULT_FAL_MODELS } from '../../src/backends/fal-models.js';
import { ManualClock } from '../../src/core/clock.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { madeBy, refusedCombinations } from '../helpers/contract.js';
import { imageBound } from '../helpers/provider-fixtures.js';

const KEY = 'fal-contract-key';
let clock: ManualClock;
let sim: Simulator;
const backends: FalBackend[] = [];
let cast: BoundCharacter[] = [];

before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000, concurrency: 1, fal: { apiKey: KEY }, render: { ffmpegPath: false } });
  cast = await Promise.all(['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gus'].map((n) => imageBound(n, `${n}, a character`)));
});
after(async () => {
  await Promise.all(backends.map((b) => b.close()));
  await sim.stop();
});

describe('fal contract: every declared combination passes the published schema', () => {
  for (const model of DEFAULT_FAL_MODELS) {
    it(`fal-${model.key}`, async () => {
      const backend = createFalBackend({ model, queueUrl: sim.falQueueUrl, apiKey: KEY, clock, logger: silentLogger, retry: { maxAttempts: 1 } });
      backends.push(backend);
      const caps = backend.capabilities;
      assert.equal(caps.characters.binding, 'reference-images', 'fal models take characters as reference images');
      // A few at a time: the simulator validates each body; order does not matter.
      const { tried, refused, combinations } = await refusedCombinations(backend, { characters: cast, prompt: 'walk through a market', made: madeBy(sim.jobs), concurrency: 16 });
      assert.deepEqual(refused.slice(0, 5), [], `${refused.length} of ${tried} combinations refused`);
      assert.ok(tried >= caps.seconds.length * 4, 'every duration × orientation × resolution was driven');
      const declared = (model.audioField ? ['off', 'on'] : ['off']).sort();
      assert.deepEqual([...new Set(combinations.map((c) => c.audio))].sort(), declared, 'both sounds are driven where the model has a switch');
    });
  }

  it('a wrong audio field type is a 422 naming it, which fails the contract', async () => {
    const veo = DEFAULT_FAL_MODELS.find((m) => m.key === 'veo31')!;
    const raw = await fetch(`${sim.falQueueUrl}/fal-ai/veo3.1`, {
      method: 'POST',
      headers: { authorization: `Key ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'rain', generate_audio: 'yes' }),
    });
    assert.equal(raw.status, 422);
    const detail = ((await raw.json()) as { detail: { loc: string[] }[] }).detail;
    assert.deepEqual(detail[0]!.loc, ['body', 'generate_audio']);
    // The same backend code sending the sound switch as a string (fal-js types `generate_audio` as boolean).
    const stringly = { ...veo, key: 'veo31-stringly', audioField: undefined, extraInput: { generate_audio: 'on' } };
    const wrong = createFalBackend({ model: stringly, queueUrl: sim.falQueueUrl, apiKey: KEY, clock, logger: silentLogger, retry: { maxAttempts: 1 } });
    backends.push(wrong);
    const { refused } = await refusedCombinations(wrong, { characters: [] });
    assert.ok(refused.length > 0 && refused.every((r) => /rejected|422|generate_audio/.test(r)), refused[0]);
  });
});
