/**
 * Measurement 3: 10,000 jobs in flight in one bot process.
 *
 * The provider simulator runs in a separate process (bench/peer.ts) on the
 * real clock with renders long enough (40 min) that no job finishes, so this
 * process's RSS is the bot's alone. Jobs enter through the core
 * (`studio.generate`) from 100 teams of 100 members, the scheduler lets all of
 * them run (BACKEND_CONCURRENCY=TENANT_CONCURRENCY=10000), each is submitted
 * over HTTP and then followed by the adaptive poll loop. Once every job is at
 * the provider, RSS and event-loop delay (perf_hooks monitorEventLoopDelay)
 * are sampled for a window that includes the first round of polls.
 *
 * Usage: node $FLAGS --import tsx bench/capacity.ts [jobs] [windowSeconds]   (the bot as `npm start` runs it)
 *    or: node $FLAGS dist/bench/capacity.js [jobs] [windowSeconds]           (as the Dockerfile runs it)
 * with FLAGS the V8 heap flags of the `start` script and the Dockerfile
 * (`--max-old-space-size=1024 --max-semi-space-size=4`; `npm run bench` reads them
 * from package.json). Without them the figure is V8's defaults', not production's.
 * The second is this file compiled with the bot (`tsc -p tsconfig.bench.json`)
 * and run by plain node: no tsx loader, whose hooks thread alone holds about
 * 40 MB, so the figure is the one a production deployment sees.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { startBot } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Actor } from '../src/core/types.js';
import { silentLogger } from '../src/log.js';
import { emitResult, MB, realWait, round, startAllocationSampling, startPeer, until } from './lib.js';
import { internalsOf } from '../src/core/studio-internals.js';

const JOBS = Number(process.argv[2] ?? 10_000);
const WINDOW_S = Number(process.argv[3] ?? 20);
// Compiled, this file runs from dist/bench/ and `../src/` is the compiled bot beside it.
const FROM = import.meta.url.endsWith('.js') ? 'build' : 'tsx';
const TEAMS = 100;
const BATCH = 250;
const actor = (tenant: string, userId: string): Actor => ({ tenant, userId, displayName: userId, isAdmin: false });

const peer = await startPeer({ renderMsPerVideoSecond: 600_000, concurrency: JOBS });
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-capacity-'));
const bot = await startBot(
  loadConfig({
    PORT: '0',
    HTTP_HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    CONSOLE: 'off',
    SIMULATOR: 'off',
    LOG_LEVEL: 'silent',
    OPENAI_API_KEY: 'sk-bench-0123456789',
    OPENAI_BASE_URL: peer.info.openaiBaseUrl!,
    BACKEND_CONCURRENCY: String(JOBS),
    TENANT_CONCURRENCY: String(JOBS),
    DEFAULT_MONTHLY_BUDGET_USD: '1000000',
    DEFAULT_USER_MONTHLY_BUDGET_USD: '1000000',
  }),
  { logger: silentLogger },
);
// Surfaces see every update, as a chat adapter would; this one only counts them.
let surfaceUpdates = 0;
bot.studio.attachSurface({ platform: 'bench', progressIntervalMs: 5_000, update: async () => void surfaceUpdates++ });

const rssBefore = process.memoryUsage().rss;
const rampStarted = Date.now();
for (let i = 0; i < JOBS; i += BATCH) {
  await Promise.all(
    Array.from({ length: Math.min(BATCH, JOBS - i) }, (_, k) => {
      const n = i + k;
      return bot.studio.generate(
        actor(`team${n % TEAMS}`, `member${Math.floor(n / TEAMS) % 100}`),
        { prompt: `a paper boat drifting down a rainy street, take ${n}`, seconds: 4, orientation: 'landscape', resolution: '720p', audio: undefined, backend: 'openai', imagePath: undefined, remixOf: undefined },
        { platform: 'bench' },
      );
    }),
  );
}
const accepted = Date.now();
const submittedCount = async () => (await internalsOf(bot.studio).jobs.activeJobs()).filter((j) => j.providerJobId !== undefined).length;
await until(async () => internalsOf(bot.studio).runner.inFlight >= JOBS && (await submittedCount()) >= JOBS, 'every job at the provider', 240_000, 500);
const rampS = (Date.now() - rampStarted) / 1000;

// For finding what the window allocates: BENCH_ALLOC_PROFILE=1 samples every allocation
// (kept or collected) over the window and prints the top allocating functions to stderr;
// BENCH_ALLOC_PROFILE=survivors only what outlived a scavenge (what grows old space).
const allocations = process.env.BENCH_ALLOC_PROFILE ? await startAllocationSampling(process.env.BENCH_ALLOC_PROFILE === 'survivors') : undefined;
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
let rssMax = 0;
// Where the RSS goes at its peak: the V8 heap (reserved), or outside it (native buffers, malloc, code).
let heapTotalAtMax = 0;
let heapTotalMax = 0;
const windowEnd = Date.now() + WINDOW_S * 1000;
while (Date.now() < windowEnd) {
  const sample = process.memoryUsage();
  if (sample.rss > rssMax) {
    rssMax = sample.rss;
    heapTotalAtMax = sample.heapTotal;
  }
  heapTotalMax = Math.max(heapTotalMax, sample.heapTotal);
  await realWait(100);
}
delay.disable();
if (allocations) process.stderr.write(await allocations.stop());
const inFlight = internalsOf(bot.studio).runner.inFlight;
const memory = process.memoryUsage();
// With --expose-gc: what is really alive after a full collection (the rest of heapUsed is garbage not yet collected).
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const liveHeapMb = gc ? round(process.memoryUsage().heapUsed / MB) : undefined;
// For profiling a gap: BENCH_HEAP_SNAPSHOT=1 writes a .heapsnapshot (open it in Chrome DevTools → Memory).
if (process.env.BENCH_HEAP_SNAPSHOT) process.stderr.write(`heap snapshot: ${writeHeapSnapshot()}\n`);

emitResult({
  code: FROM,
  // The V8 heap flags this process ran with: production's (bench/lib.ts productionHeapFlags) in `npm run bench`.
  nodeFlags: process.execArgv.filter((arg) => /^--max-(old|semi)-space-size=/.test(arg)),
  jobs: JOBS,
  inFlight,
  rampSeconds: round(rampS),
  acceptSeconds: round((accepted - rampStarted) / 1000),
  windowSeconds: WINDOW_S,
  rssStartMb: round(rssBefore / MB),
  rssMaxMb: round(rssMax / MB),
  heapUsedMb: round(memory.heapUsed / MB),
  heapTotalAtRssMaxMb: round(heapTotalAtMax / MB),
  heapTotalMaxMb: round(heapTotalMax / MB),
  externalMb: round(memory.external / MB),
  liveHeapMb,
  loopDelayP50Ms: round(delay.percentile(50) / 1e6, 2),
  loopDelayP99Ms: round(delay.percentile(99) / 1e6, 2),
  loopDelayMaxMs: round(delay.max / 1e6, 2),
  surfaceUpdates,
  simulator: 'separate process (not counted)',
});
await peer.stop();
await rm(dataDir, { recursive: true, force: true });
process.exit(0);
