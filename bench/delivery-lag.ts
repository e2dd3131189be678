/**
 * Measurement 2: provider requests per completed job, and the lag from the
 * provider finishing a video to the bot posting it, for a render that takes
 * 3 minutes of provider time.
 *
 * Four variants, each on a fresh simulator so its request counts are its own:
 * - adaptive: the bot's polling (src/core/polling.ts) on the OpenAI-shaped backend;
 * - webhook: the bot on a fal model, completed by the simulator's signed fal webhook;
 * - fixed-5s and fixed-1s: bench/fixed-interval-client.ts on the same backend module.
 *
 * Time base: one ManualClock drives the simulator, the bot and the baselines,
 * so every lag is in simulated seconds and the 3-minute render takes a few real
 * seconds. The clock moves in 100 ms steps with a short real wait between
 * steps for loopback HTTP; it stands still while a result is being downloaded
 * and posted. Lags are therefore exact to about one step (±0.1 s).
 * The simulator renders a 4 s video in 180 s (45 s of render per video second),
 * and each job's render is then stretched or shortened by up to 5 s (a fixed
 * sequence, the same for every variant): real renders vary, and without it a
 * fixed loop that started with the job would land exactly on the finish.
 *
 * "Posted" for the bot is the chat surface receiving the `finished` update
 * (the moment an upload would start); for the baselines, the file on disk.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createOpenAiBackend } from '../src/backends/openai.js';
import { ManualClock } from '../src/core/clock.js';
import type { Surface } from '../src/core/ports.js';
import type { JobEvent, JobRecord } from '../src/core/types.js';
import { silentLogger } from '../src/log.js';
import { startSimulator, type Simulator } from '../src/simulator/server.js';
import { actor, startTestBot } from '../test/helpers/test-bot.js';
import { runFixedIntervalJob, type FixedIntervalJob } from './fixed-interval-client.js';
import { emitResult, median, realWait, round } from './lib.js';
import { internalsOf } from '../src/core/studio-internals.js';

const JOBS = Number(process.argv[2] ?? 10);
const VIDEO_SECONDS = 4;
const RENDER_MS = 180_000;
const STEP_MS = 100;
/** Jobs start this far apart, so their poll phases differ relative to completion. */
const STAGGER_MS = 1_370;

interface VariantResult {
  variant: string;
  jobs: number;
  requestsPerJob: number;
  pollsPerJob: number;
  medianLagS: number;
  maxLagS: number;
}

async function freshSimulator(clock: ManualClock): Promise<Simulator> {
  return startSimulator({ clock, renderMsPerVideoSecond: RENDER_MS / VIDEO_SECONDS, concurrency: 1_000, render: { ffmpegPath: false } });
}

/** Render-time jitter of the n-th job: a fixed spread over [-5 s, +5 s]. */
const jitterMs = (n: number): number => Math.round((((n * 0.618034) % 1) - 0.5) * 10_000);

/** Gives every new simulator job its jitter, in creation order. */
function jitterNewJobs(sim: Simulator, protocol: 'openai' | 'fal', seen: Set<string>): void {
  for (const job of sim.jobs.list(protocol)) {
    if (seen.has(job.id)) continue;
    job.renderMs = RENDER_MS + jitterMs(seen.size);
    seen.add(job.id);
  }
}

/**
 * Steps the clock until `done`. `tick` runs before each step (it starts jobs on
 * their schedule); the clock stands still while `busy` (a download or post in progress).
 */
async function drive(clock: ManualClock, tick: () => Promise<void>, done: () => boolean, busy: () => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('delivery-lag: jobs did not finish within 120 s of real time');
    await tick();
    if (busy()) {
      await realWait(1);
      continue;
    }
    await clock.advance(STEP_MS, STEP_MS);
    await realWait(1);
  }
}

/** Records when each job's `finished` update reaches the chat surface, on the shared clock. */
class TimingSurface implements Surface {
  readonly platform = 'test';
  readonly progressIntervalMs = 0;
  readonly postedAt = new Map<string, number>();
  readonly downloading = new Set<string>();
  constructor(private readonly clock: ManualClock) {}
  async update(job: JobRecord, event: JobEvent): Promise<void> {
    if (event.type === 'progress' && event.phase === 'downloading') this.downloading.add(job.id);
    if (event.type === 'finished') {
      this.postedAt.set(job.id, this.clock.now());
      this.downloading.delete(job.id);
    }
  }
}

function summarize(variant: string, sim: Simulator, pollRoute: 'openai.get' | 'fal.status', lagsMs: number[]): VariantResult {
  return {
    variant,
    jobs: lagsMs.length,
    requestsPerJob: round(sim.stats.total() / lagsMs.length),
    pollsPerJob: round(sim.stats.count(pollRoute) / lagsMs.length),
    medianLagS: round(median(lagsMs) / 1000, 2),
    maxLagS: round(Math.max(...lagsMs) / 1000, 2),
  };
}

async function botVariant(variant: 'adaptive' | 'webhook'): Promise<VariantResult> {
  const clock = new ManualClock();
  const sim = await freshSimulator(clock);
  const env: Record<string, string> = { LOG_LEVEL: 'warn' };
  if (variant === 'webhook') {
    Object.assign(env, { FAL_KEY: 'fal-bench-key-0123456789', FAL_QUEUE_URL: sim.falQueueUrl, FAL_WEBHOOK_JWKS_URL: sim.falJwksUrl, FAL_MODELS: 'wan27' });
  }
  const tb = await startTestBot(env, { clock, sim });
  const surface = new TimingSurface(clock);
  tb.bot.studio.attachSurface(surface);
  const backend = variant === 'webhook' ? 'fal-wan27' : 'openai';
  const jobIds: string[] = [];
  const t0 = clock.now();
  const seen = new Set<string>();
  const tick = async () => {
    jitterNewJobs(sim, variant === 'webhook' ? 'fal' : 'openai', seen);
    while (jobIds.length < JOBS && clock.now() >= t0 + jobIds.length * STAGGER_MS) {
      const n = jobIds.length;
      const accepted = await tb.bot.studio.generate(
        actor('bench-team', `u${n}`),
        { prompt: `a paper boat drifting down a rainy street, take ${n}`, seconds: VIDEO_SECONDS, orientation: 'landscape', resolution: '720p', audio: undefined, backend, imagePath: undefined, remixOf: undefined },
        { platform: 'test' },
      );
      jobIds.push(accepted.job.id);
    }
  };
  await drive(clock, tick, () => jobIds.length === JOBS && jobIds.every((id) => surface.postedAt.has(id)), () => surface.downloading.size > 0);
  const lags: number[] = [];
  for (const id of jobIds) {
    const job = (await internalsOf(tb.bot.studio).jobs.get(id))!;
    const completedAt = sim.jobs.get(job.providerJobId!)!.completedAt!;
    lags.push(surface.postedAt.get(id)! - completedAt);
  }
  const result = summarize(variant, sim, variant === 'webhook' ? 'fal.status' : 'openai.get', lags);
  await tb.stop();
  return result;
}

async function fixedVariant(intervalMs: number): Promise<VariantResult> {
  const clock = new ManualClock();
  const sim = await freshSimulator(clock);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-fixed-'));
  const backend = createOpenAiBackend({ baseUrl: sim.openaiBaseUrl, apiKey: 'sk-bench-0123456789', model: 'sora-2', clock, logger: silentLogger });
  const jobs: FixedIntervalJob[] = [];
  const t0 = clock.now();
  const seen = new Set<string>();
  const tick = async () => {
    jitterNewJobs(sim, 'openai', seen);
    while (jobs.length < JOBS && clock.now() >= t0 + jobs.length * STAGGER_MS) {
      jobs.push(runFixedIntervalJob({ backend, clock, intervalMs, dir, seconds: VIDEO_SECONDS }));
    }
  };
  await drive(clock, tick, () => jobs.length === JOBS && jobs.every((j) => j.finished), () => jobs.some((j) => j.downloading));
  const runs = await Promise.all(jobs.map((j) => j.done));
  const lags = runs.map((r) => r.postedAt - sim.jobs.get(r.providerJobId)!.completedAt!);
  const result = summarize(`fixed-${intervalMs / 1000}s`, sim, 'openai.get', lags);
  await backend.close();
  await sim.stop();
  await rm(dir, { recursive: true, force: true });
  return result;
}

const variants: VariantResult[] = [];
variants.push(await botVariant('adaptive'));
variants.push(await botVariant('webhook'));
variants.push(await fixedVariant(5_000));
variants.push(await fixedVariant(1_000));
emitResult({ videoSeconds: VIDEO_SECONDS, renderSeconds: RENDER_MS / 1000, timeBase: 'simulated (ManualClock), 0.1 s steps', variants });
process.exit(0);
