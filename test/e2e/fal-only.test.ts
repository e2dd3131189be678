/**
 * A team that connects only fal: the bot is started with FAL_KEY and FAL_QUEUE_URL (pointed at the
 * validating fal simulator) and no other provider key. A plain prompt, `--backend <id>` for each fal
 * model, and `--backend fal` each deliver a playable MP4 (checked with ffprobe when installed, and by
 * the MP4 `ftyp` box always). A COMPLETED request whose result call fails ends the job with a clear
 * reason at once, instead of being polled until the deadline.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ManualClock } from '../../src/core/clock.js';
import type { GenerationInput, JobRecord } from '../../src/core/types.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { locateFfmpegTools } from '../../src/media/ffmpeg.js';
import { driveUntil } from '../helpers/drive.js';
import { finishJobs } from '../helpers/jobs.js';
import { actor, freePort, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const FAL_KEY = 'fal-only-e2e-key';
let clock: ManualClock;
let sim: Simulator;
let t: TestBot;
const team = actor('test:FALONLY', 'alice', true, 'Alice');

const input = (prompt: string, backend?: string, seconds?: number): GenerationInput => ({
  prompt,
  seconds,
  orientation: 'landscape',
  resolution: '720p', audio: undefined,
  backend,
  imagePath: undefined,
  remixOf: undefined,
});

const finish = async (jobId: string): Promise<JobRecord> => (await finishJobs(t, [jobId]))[0]!;

/** The MP4 `ftyp` box always; ffprobe too when asked (it takes a second or more on a busy machine). */
async function assertPlayableMp4(path: string, probe = false): Promise<void> {
  const file = await open(path);
  const head = Buffer.alloc(12);
  await file.read(head, 0, 12, 0);
  await file.close();
  assert.equal(head.subarray(4, 8).toString('latin1'), 'ftyp', `${path} starts with an MP4 ftyp box`);
  if (!probe) return;
  const probed = await promisify(execFile)(locateFfmpegTools().ffprobe, ['-v', 'error', '-show_entries', 'stream=codec_type', '-of', 'csv=p=0', path]).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined; // no ffprobe here: the ftyp box is the check
    throw e;
  });
  if (probed) assert.match(probed.stdout, /video/, 'ffprobe finds a video stream');
}

before(async () => {
  clock = new ManualClock();
  sim = await startSimulator({ clock, renderMsPerVideoSecond: 1000, concurrency: 4, fal: { apiKey: FAL_KEY }, render: { ffmpegPath: false } });
  const port = await freePort();
  t = await startTestBot(
    {
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'info',
      TENANT_CONCURRENCY: '12',
      BACKEND_CONCURRENCY: '12',
      // Only fal: the helper's default OpenAI and apiyi keys are switched off.
      OPENAI_API_KEY: '',
      APIYI_API_KEY: '',
      FAL_KEY,
      FAL_QUEUE_URL: sim.falQueueUrl,
      FAL_WEBHOOK_JWKS_URL: sim.falJwksUrl,
    },
    { clock, sim },
  );
});
after(async () => {
  await t.stop();
  await sim.stop();
});

describe('a team with only FAL_KEY', () => {
  it('serves the four fal models and nothing else', () => {
    assert.deepEqual(t.bot.backends.map((b) => b.id).sort(), ['fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'fal-wan27']);
    assert.equal(t.bot.simulator, undefined);
  });

  it('delivers a playable MP4 for a plain prompt (on the cheapest model), each --backend <id>, and --backend fal', async () => {
    const studio = t.bot.studio;
    await studio.setBudget(team, { amountMicros: 100_000_000 });
    await studio.setBudget(team, { amountMicros: 100_000_000, userId: team.userId });
    await studio.createCharacter(team, { name: 'mascot', description: 'an orange fox in a blue scarf', clipPath: SAMPLE_CLIP_PATH });
    // The cheapest fal model for a video of n seconds, from the declared prices (Kling O3 at $0.084/s
    // beats Wan 2.7's flat $0.10/s wherever both allow the length).
    const cheapest = (seconds: number): string => {
      const price = (id: string) => {
        const b = t.bot.backends.find((x) => x.id === id)!;
        const s = b.capabilities.seconds.reduce((best, v) => (Math.abs(v - seconds) < Math.abs(best - seconds) ? v : best));
        return b.capabilities.price.kind === 'per-second' ? (b.capabilities.price.microsPerSecond['720p']?.off ?? Infinity) * s : 0;
      };
      return t.bot.backends.map((b) => b.id).sort((a, b) => price(a) - price(b))[0]!;
    };
    const runs: { label: string; input: GenerationInput; backend?: string }[] = [
      { label: 'plain', input: input('a red fox runs through fresh snow'), backend: cheapest(8) },
      ...['fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'fal-wan27'].map((id) => ({ label: id, input: input('a red fox runs through fresh snow', id, 4), backend: id })),
      ...['fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'fal-wan27'].map((id) => ({ label: `${id} with @mascot`, input: input('@mascot waves from a hill', id, 4), backend: id })),
      { label: '--backend fal', input: input('a red fox runs through fresh snow', 'fal', 5), backend: cheapest(5) },
      { label: '--backend fal with @mascot', input: input('@mascot waves from a hill', 'fal', 5), backend: cheapest(5) },
    ];
    const accepted = [];
    const probed = new Set<string>();
    for (const run of runs) accepted.push(await studio.generate(team, run.input, { platform: 'test' }));
    for (const [i, run] of runs.entries()) {
      const job = await finish(accepted[i]!.job.id);
      assert.equal(job.state, 'delivered', `${run.label}: ${JSON.stringify(job.error)}`);
      if (run.backend) assert.equal(job.backend, run.backend, run.label);
      // ffprobe once per model (the first run on each backend), the ftyp box for every file.
      await assertPlayableMp4(job.resultPath!, !probed.has(job.backend));
      probed.add(job.backend);
    }
    assert.equal(cheapest(8), 'fal-kling-o3');
    assert.equal(sim.stats.count('fal.submit'), runs.length, 'one submit per run: none was refused and retried elsewhere');
  });

  it('ends a job at once, with a clear reason, when fal says COMPLETED but the result call fails', async () => {
    sim.fal.failResults({ status: 504, errorType: 'request_timeout', detail: 'Request timed out', retryable: false });
    // The webhook is lost, so the bot learns of the end by its safety poll (every 5 minutes).
    sim.fal.webhooks.drop(1);
    try {
      const accepted = await t.bot.studio.generate(team, input('a lighthouse in a storm', 'fal-wan27', 4), { platform: 'test' });
      const before = sim.stats.count('fal.status');
      await driveUntil(
        clock,
        async () => ['delivered', 'failed'].includes((await internalsOf(t.bot.studio).jobs.get(accepted.job.id))!.state),
        { stepMs: 2_000, maxSteps: 450 }, // 15 minutes of clock: three safety polls, half the 30-minute deadline
      );
      const job = (await internalsOf(t.bot.studio).jobs.get(accepted.job.id))!;
      assert.equal(job.state, 'failed');
      assert.match(job.error!.message, /Wan 2\.7 on fal is having trouble/);
      assert.ok(sim.stats.count('fal.status') - before <= 2, 'ended on the poll that saw COMPLETED');
    } finally {
      sim.fal.failResults(undefined);
    }
  });
});
