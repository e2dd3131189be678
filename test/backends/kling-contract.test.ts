/**
 * Contract: every combination Kling's capabilities allow (each duration × orientation × quality × element
 * count 0…max), sent through the real backend in both formats (legacy omni-video and 3.0 omni) to the
 * simulator, which validates each request against the schemas written from Kling's docs
 * (src/simulator/schemas/kling.ts). One rejection fails the test and names the combination.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKlingBackend, type KlingApiFormat, type KlingBackend } from '../../src/backends/kling.js';
import { ManualClock } from '../../src/core/clock.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import type { Orientation, Quality } from '../../src/core/types.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { driveWhile } from '../helpers/drive.js';
import { frameFiles, generationRequest, renderFor } from '../helpers/provider-fixtures.js';

const ACCESS = 'kling-access-contract';
const SECRET = 'kling-secret-contract';
let clock: ManualClock;
let sim: Simulator;
const made: KlingBackend[] = [];

before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock, concurrency: 4, kling: { accessKey: ACCESS, secretKey: SECRET, elementMs: 2000 }, render: { ffmpegPath: false } });
});
after(async () => {
  await Promise.all(made.map((b) => b.close()));
  await sim.stop();
});

async function everyCombination(format: KlingApiFormat): Promise<number> {
  const backend = createKlingBackend({ apiUrl: sim.klingApiUrl, accessKey: ACCESS, secretKey: SECRET, apiFormat: format, clock, logger: silentLogger, retry: { maxAttempts: 1 }, elementPollMs: 500 });
  made.push(backend);
  const caps = backend.capabilities;
  const cast: BoundCharacter[] = [];
  for (let i = 0; i < caps.characters.max; i++) {
    const name = `c${format.replace(/\W/g, '')}${i}`;
    const frames = await frameFiles(name);
    const binding = await driveWhile(clock, backend.createCharacter({ name, description: `${name} test subject`, clipPath: undefined, clipUrl: undefined, providerJobId: undefined, frames }), { stepMs: 500 });
    cast.push({ name, description: `${name} test subject`, binding });
  }
  const attempts: Promise<void>[] = [];
  for (const seconds of caps.seconds) {
    for (const orientation of ['landscape', 'portrait'] as Orientation[]) {
      for (const quality of ['standard', 'high'] as Quality[]) {
        if (!caps.sizes[orientation][quality]) continue;
        for (let count = 0; count <= caps.characters.max; count++) {
          const characters = cast.slice(0, count);
          const prompt = renderFor(backend, `${characters.map((c) => `@${c.name}`).join(' and ') || 'a fox'} cross a bridge`, characters);
          const label = `${format} ${seconds}s ${orientation} ${quality} ${count} element(s)`;
          attempts.push(
            backend.submit(generationRequest({ prompt, characters, seconds, orientation, quality, size: caps.sizes[orientation][quality]! })).then(
              () => undefined,
              (error: unknown) => assert.fail(`${label} was rejected: ${String(error)}`),
            ),
          );
        }
      }
    }
  }
  await Promise.all(attempts);
  const sent = attempts.length;
  return sent;
}

describe('kling contract', () => {
  it('the legacy omni-video endpoint accepts every combination the capabilities allow', async () => {
    const sent = await everyCombination('legacy');
    assert.equal(sent, 13 * 2 * 2 * 8);
    assert.equal(sim.stats.count('kling.video.create'), sent);
  });

  it('the 3.0 omni endpoint accepts every combination the capabilities allow', async () => {
    const sent = await everyCombination('kling-3.0');
    assert.equal(sim.stats.count('kling.omni30.create'), sent);
  });
});
