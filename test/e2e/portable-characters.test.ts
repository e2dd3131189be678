/**
 * One character, registered once from a clip, used on fal, Gemini (Veo) and
 * Kling through the real Studio: the core cuts reference frames with ffmpeg
 * for the image-based backends and creates the Kling element once, then reuses
 * it. The providers are the simulators, reached through the same variables a
 * team sets for the real ones (FAL_KEY + FAL_QUEUE_URL, …), and fal completes
 * by a signed webhook to PUBLIC_URL rather than by polling.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import type { GenerationInput, JobRecord } from '../../src/core/types.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { driveUntil } from '../helpers/drive.js';
import { finishJobs } from '../helpers/jobs.js';
import { actor, freePort, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const ACCESS = 'kling-ak-e2e';
const SECRET = 'kling-sk-e2e-secret';
const FAL_KEY = 'fal-e2e-key';
const GEMINI_KEY = 'gemini-e2e-key';

const input = (prompt: string, backend: string): GenerationInput => ({
  prompt,
  seconds: 8,
  orientation: 'landscape',
  resolution: '720p', audio: undefined,
  backend,
  imagePath: undefined,
  remixOf: undefined,
});


let clock: ManualClock;
let sim: Simulator;
let t: TestBot;
const team = actor('test:PORT', 'alice', true, 'Alice');

const finish = async (jobId: string): Promise<JobRecord> => (await finishJobs(t, [jobId]))[0]!;

before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({
    clock,
    renderMsPerVideoSecond: 1000,
    concurrency: 4,
    fal: { apiKey: FAL_KEY },
    gemini: { apiKey: GEMINI_KEY },
    kling: { accessKey: ACCESS, secretKey: SECRET, elementMs: 4000 },
    render: { ffmpegPath: false },
  });
  const port = await freePort();
  t = await startTestBot(
    {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      FAL_KEY,
      FAL_QUEUE_URL: sim.falQueueUrl,
      FAL_WEBHOOK_JWKS_URL: sim.falJwksUrl,
      FAL_MODELS: 'kling-o3,wan27',
      GEMINI_API_KEY: GEMINI_KEY,
      GEMINI_API_URL: sim.geminiApiUrl,
      KLING_ACCESS_KEY: ACCESS,
      KLING_SECRET_KEY: SECRET,
      KLING_API_URL: sim.klingApiUrl,
    },
    { clock, sim },
  );
});
after(async () => {
  await t.stop();
  await sim.stop();
});

describe('portable characters on fal, Gemini and Kling', () => {
  it('configures the live backends from their keys and URLs', () => {
    const ids = t.bot.backends.map((b) => b.id);
    for (const id of ['fal-kling-o3', 'fal-wan27', 'gemini', 'kling']) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
    assert.ok(!ids.includes('fal-veo31'), 'FAL_MODELS narrows the fal models');
    assert.equal(t.bot.simulator, undefined, 'keys set: no embedded simulator');
  });

  it('registers @mascot from a clip once and delivers it on all three providers, creating the Kling element once', async () => {
    const studio = t.bot.studio;
    await studio.createCharacter(team, { name: 'mascot', description: 'an orange fox in a blue scarf', clipPath: SAMPLE_CLIP_PATH });

    // fal: frames as @Element1, completion by a signed webhook to PUBLIC_URL.
    const onFal = await studio.generate(team, input('@mascot skates down a hill', 'fal-kling-o3'), { platform: 'test' });
    const falJob = await finish(onFal.job.id);
    assert.equal(falJob.state, 'delivered', JSON.stringify(falJob.error));
    assert.equal(falJob.renderedPrompt, '@Element1 skates down a hill');
    const falBody = sim.lastRequest('fal.submit')!.json as { elements: { frontal_image_url: string; reference_image_urls: string[] }[] };
    assert.match(falBody.elements[0]!.frontal_image_url, /^data:image\/(jpeg|png);base64,/);
    assert.ok(falBody.elements[0]!.reference_image_urls.length >= 1);
    assert.equal(sim.lastRequest('fal.submit')!.headers.authorization, `Key ${FAL_KEY}`);
    assert.ok(sim.fal.webhooks.deliveries.some((d) => d.status === 200), 'the signed webhook was accepted');
    assert.equal(sim.stats.count('fal.status'), 0, 'fal finished by webhook, without a status poll');
    assert.ok(falJob.completedAt! - falJob.submittedAt! < 5 * 60_000, 'well before the 5-minute safety poll');

    // Gemini: the same frames as asset references, the character described in words.
    const onGemini = await studio.generate(team, input('@mascot reads a map', 'gemini'), { platform: 'test' });
    const geminiJob = await finish(onGemini.job.id);
    assert.equal(geminiJob.state, 'delivered', JSON.stringify(geminiJob.error));
    assert.equal(geminiJob.renderedPrompt, 'mascot (an orange fox in a blue scarf) reads a map');
    const refs = (sim.lastRequest('gemini.predict')!.json as { instances: { referenceImages: unknown[] }[] }).instances[0]!.referenceImages;
    assert.ok(refs.length >= 1 && refs.length <= 3);

    // Kling: an element is created on first use and stored as the binding...
    const first = await studio.generate(team, input('@mascot juggles', 'kling'), { platform: 'test' });
    const firstJob = await finish(first.job.id);
    assert.equal(firstJob.state, 'delivered', JSON.stringify(firstJob.error));
    assert.equal(firstJob.renderedPrompt, '<<<element_1>>> juggles');
    assert.equal(sim.stats.count('kling.element.create'), 1);
    const character = await internalsOf(studio).characters.get(team.tenant, 'mascot');
    const binding = character!.bindings.kling;
    assert.equal(binding?.kind, 'element');

    // ...and reused: no second element for the second video.
    const second = await studio.generate(team, input('@mascot bows', 'kling'), { platform: 'test' });
    const secondJob = await finish(second.job.id);
    assert.equal(secondJob.state, 'delivered', JSON.stringify(secondJob.error));
    assert.equal(sim.stats.count('kling.element.create'), 1, 'the element is created once');
    const sent = sim.lastRequest('kling.video.create')!.json as { element_list: { element_id: number }[] };
    // Kling's element ids are int64 numbers on the wire; the binding keeps them as decimal strings.
    assert.deepEqual(sent.element_list, [{ element_id: Number((binding as { id: string }).id) }]);

    const view = await studio.showCharacter(team, 'mascot');
    const state = (id: string) => view.readiness.find((r) => r.backend === id)?.state;
    assert.equal(state('kling'), 'ready');
    assert.equal(state('gemini'), 'ready');
    assert.equal(state('fal-kling-o3'), 'ready');
    assert.equal(state('fal-wan27'), 'on-first-use');

    // Deleting the character deletes its Kling element.
    await studio.deleteCharacter(team, 'mascot');
    await driveUntil(clock, () => sim.stats.count('kling.element.delete') === 1, { stepMs: 100, maxSteps: 100 });
    assert.ok([...sim.kling.elements.values()].every((e) => e.deleted));
  });

  it('leaves no provider key, secret or signed token in any log line of that whole flow (debug level)', () => {
    const text = t.logs.text;
    assert.ok(text.length > 1_000, 'the flow logged');
    for (const secret of [FAL_KEY, GEMINI_KEY, SECRET, ACCESS]) assert.equal(text.includes(secret), false, `a log line contains ${secret.slice(0, 4)}…`);
    // Kling's bearer token is a JWT signed with the secret key: no JWT may reach the log either.
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });
});
