/**
 * Contract of every fal model backend against the VALIDATING fal simulator: each combination the
 * backend's capabilities declare (every duration, orientation, quality and reference count from 0 to
 * the most characters it holds, with the reference-image character binding fal takes) goes through the
 * real backend code and must pass the model's published input schema
 * (src/simulator/schemas/fal-*.ts). A wrong field type, name or value is a 422 and fails here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFalBackend, type FalBackend } from '../../src/backends/fal.js';
import { DEFAULT_FAL_MODELS } from '../../src/backends/fal-models.js';
import { ManualClock } from '../../src/core/clock.js';
import { ProviderError } from '../../src/core/errors.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import type { Orientation, Quality } from '../../src/core/types.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { generationRequest, imageBound, renderFor } from '../helpers/provider-fixtures.js';

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
      const rejected: string[] = [];
      let sent = 0;
      const combos: { seconds: number; orientation: Orientation; quality: Quality; refs: number }[] = [];
      for (const seconds of caps.seconds) {
        for (const orientation of ['landscape', 'portrait'] as const) {
          for (const quality of ['standard', 'high'] as const) {
            if (!caps.sizes[orientation][quality]) continue;
            for (let refs = 0; refs <= caps.characters.max; refs++) combos.push({ seconds, orientation, quality, refs });
          }
        }
      }
      // A few at a time: the simulator validates each body; order does not matter.
      for (let i = 0; i < combos.length; i += 16) {
        await Promise.all(
          combos.slice(i, i + 16).map(async ({ seconds, orientation, quality, refs }) => {
            const characters = cast.slice(0, refs);
            const mentions = characters.map((c) => `@${c.name}`).join(' and ');
            const prompt = renderFor(backend, refs > 0 ? `${mentions} walk through a market` : 'a red fox runs through fresh snow', characters);
            try {
              await backend.submit(generationRequest({ prompt, characters, seconds, orientation, quality, size: caps.sizes[orientation][quality]! }));
              sent++;
            } catch (error) {
              const detail = error instanceof ProviderError ? `${error.kind} ${error.message}` : String(error);
              rejected.push(`${seconds}s ${orientation} ${quality} ${refs} refs: ${detail}`);
            }
          }),
        );
      }
      assert.deepEqual(rejected.slice(0, 5), [], `${rejected.length} of ${combos.length} combinations rejected`);
      assert.equal(sent, combos.length);
      assert.ok(combos.length >= caps.seconds.length * 4, 'every duration × orientation × quality was driven');
    });
  }
});
