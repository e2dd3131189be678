/**
 * Done-when 5 of issue 10: a Vidu character video end to end through the whole bot. A team that set only
 * VIDU_API_KEY and VIDU_API_URL (here the validating simulator) registers @mascot once from a clip; the
 * first video creates the Vidu subject from frames the core cut, the second video reuses it (the simulator
 * counts one subject creation), and deleting the character deletes the subject on Vidu.
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

const VIDU_KEY = 'vda_e2e_key_0001';

const input = (prompt: string): GenerationInput => ({
  prompt,
  seconds: 5,
  orientation: 'landscape',
  resolution: '720p', audio: undefined,
  backend: 'vidu',
  imagePath: undefined,
  remixOf: undefined,
});


let clock: ManualClock;
let sim: Simulator;
let t: TestBot;
const team = actor('test:VIDU', 'alice', true, 'Alice');

const finish = async (jobId: string): Promise<JobRecord> => (await finishJobs(t, [jobId]))[0]!;

before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000, concurrency: 4, vidu: { apiKey: VIDU_KEY }, render: { ffmpegPath: false } });
  const port = await freePort();
  t = await startTestBot({ PORT: String(port), LOG_LEVEL: 'info', VIDU_API_KEY: VIDU_KEY, VIDU_API_URL: sim.viduApiUrl }, { clock, sim });
});
after(async () => {
  await t.stop();
  await sim.stop();
});

describe('a Vidu character end to end', () => {
  it('configures the vidu backend from VIDU_API_KEY and VIDU_API_URL', () => {
    assert.ok(t.bot.backends.some((b) => b.id === 'vidu'));
    assert.equal(t.bot.simulator, undefined, 'a key is set: no embedded simulator');
  });

  it('creates the subject on first use, reuses it for the second video, and deletes it with the character', async () => {
    const studio = t.bot.studio;
    await studio.createCharacter(team, { name: 'mascot', description: 'an orange fox in a blue scarf', clipPath: SAMPLE_CLIP_PATH });
    assert.equal(sim.stats.count('vidu.subject.create'), 0, 'created lazily, not at registration');

    const first = await finish((await studio.generate(team, input('@mascot juggles'), { platform: 'test' })).job.id);
    assert.equal(first.state, 'delivered', JSON.stringify(first.error));
    assert.equal(first.renderedPrompt, '@1 juggles');
    assert.equal(sim.stats.count('vidu.subject.create'), 1);
    const created = sim.lastRequest('vidu.subject.create')!;
    assert.equal(created.headers.authorization, `Token ${VIDU_KEY}`);
    const images = (created.json as { images: string[] }).images;
    assert.ok(images.length >= 1 && images.length <= 3);
    assert.match(images[0]!, /^data:image\/(jpeg|png);base64,/);
    const binding = (await internalsOf(studio).characters.get(team.tenant, 'mascot'))!.bindings.vidu;
    assert.equal(binding?.kind, 'element');
    const subjectId = (binding as { id: string }).id;

    const second = await finish((await studio.generate(team, input('@mascot bows to the crowd'), { platform: 'test' })).job.id);
    assert.equal(second.state, 'delivered', JSON.stringify(second.error));
    assert.equal(sim.stats.count('vidu.subject.create'), 1, 'the subject is created once and reused');
    assert.deepEqual((sim.lastRequest('vidu.reference2video')!.json as { subjects: unknown[] }).subjects, [{ name: '1', server_id: subjectId }]);
    assert.deepEqual(sim.vidu.taskSubjects.get(second.providerJobId!), [subjectId]);

    await studio.deleteCharacter(team, 'mascot');
    await driveUntil(clock, () => sim.stats.count('vidu.subject.delete') === 1, { stepMs: 100, maxSteps: 100 });
    assert.equal(sim.vidu.subjects.get(subjectId)?.deleted, true, 'the subject is gone on Vidu');
  });
});
