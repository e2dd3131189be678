/**
 * Measurement 4: relaying a 200 MB result. A `/sora generate` arrives as a
 * signed Slack command; the simulator (separate process) serves a 200 MB
 * result; the bot streams it to DATA_DIR and uploads it to the fake Slack
 * (separate process, files.uploadV2's three calls). RSS of the bot process is
 * sampled every 10 ms; the figure is the peak minus the idle level just
 * before the command.
 *
 * Usage: node --expose-gc --import tsx bench/relay-memory.ts [megabytes]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startBot } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { postSigned, slashCommandPayload } from '../test/fakes/slack/fake-slack.js';
import { emitResult, MB, realWait, round, startPeer, until } from './lib.js';
import { internalsOf } from '../src/core/studio-internals.js';

const SIZE_MB = Number(process.argv[2] ?? 200);
const SIGNING_SECRET = 'bench-signing-secret';

const peer = await startPeer({ renderMsPerVideoSecond: 100, concurrency: 4, slack: 1, oversizedBytes: SIZE_MB * MB });
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-relay-'));
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
    SLACK_BOT_TOKEN: peer.info.slackBotToken!,
    SLACK_API_URL: peer.info.slackApiUrl!,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
  }),
  { logger: silentLogger },
);

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
let idle = 0;
for (let i = 0; i < 50; i++) {
  idle = Math.max(idle, process.memoryUsage().rss);
  await realWait(10);
}
let peak = idle;
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    peak = Math.max(peak, process.memoryUsage().rss);
    await realWait(10);
  }
})();

const started = Date.now();
const res = await postSigned(
  `http://127.0.0.1:${bot.port}/slack/events`,
  slashCommandPayload({ command: '/sora', text: 'generate a paper boat drifting down a rainy street --seconds 4', user: 'U0BENCH', channel: 'C0BENCH', team: 'T0BENCH', responseUrl: `${peer.info.slackUrl}/response/1` }),
  { secret: SIGNING_SECRET },
);
if (res.status !== 200) throw new Error(`slash command answered ${res.status}`);
await until(async () => (await internalsOf(bot.studio).jobs.recent('slack:T0BENCH'))[0]?.state === 'delivered', 'the 200 MB video to be delivered', 120_000, 50);
const job = (await internalsOf(bot.studio).jobs.recent('slack:T0BENCH'))[0]!;
sampling = false;
await sampler;

emitResult({
  megabytes: SIZE_MB,
  resultBytes: job.resultBytes,
  seconds: round((Date.now() - started) / 1000),
  idleRssMb: round(idle / MB),
  peakRssMb: round(peak / MB),
  riseMb: round((peak - idle) / MB),
  path: 'simulator → DATA_DIR file → Slack upload URL (files.uploadV2)',
});
await peer.stop();
await rm(dataDir, { recursive: true, force: true });
process.exit(0);
