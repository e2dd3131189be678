/**
 * Contract: every combination Kling's capabilities allow (each duration × orientation × resolution ×
 * sound × element count 0…max), sent through the real backend in both formats (legacy omni-video and
 * 3.0 omni) to the simulator, which validates each request against the schemas written from Kling's
 * docs (src/simulator/schemas/kling.ts) and makes the size and sound asked for. One rejection fails the
 * test and names the combination.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createKlingBackend, type KlingApiFormat, type KlingBackend } from '../../src/backends/kling.js';
import { ManualClock } from '../../src/core/clock.js';
import type { BoundCharacter } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { driveWhile } from '../helpers/drive.js';
import { madeBy, refusedCombinations } from '../helpers/contract.js';
import { frameFiles } from '../helpers/provider-fixtures.js';

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

async function everyCombination(format: KlingApiFormat): Promise<{ sent: number; sounds: string[] }> {
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
  const { tried, refused, combinations } = await refusedCombinations(backend, { characters: cast, prompt: 'cross a bridge', made: madeBy(sim.jobs), concurrency: 8 });
  assert.deepEqual(refused.slice(0, 5), [], `${refused.length} of ${tried} rejected`);
  return { sent: tried, sounds: [...new Set(combinations.map((c) => c.audio))].sort() };
}

describe('kling contract', () => {
  it('the legacy omni-video endpoint accepts every combination the capabilities allow', async () => {
    const { sent, sounds } = await everyCombination('legacy');
    // The legacy body has no sound switch: silent only.
    assert.deepEqual(sounds, ['off']);
    assert.equal(sent, 13 * 2 * 2 * 8);
    assert.equal(sim.stats.count('kling.video.create'), sent);
  });

  it('the 3.0 omni endpoint accepts every combination the capabilities allow', async () => {
    const { sent, sounds } = await everyCombination('kling-3.0');
    // `settings.audio` native or off: both are driven, and the simulator makes each.
    assert.deepEqual(sounds, ['off', 'on']);
    assert.equal(sim.stats.count('kling.omni30.create'), sent);
  });
});
