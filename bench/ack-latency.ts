/**
 * Measurement 1: acknowledgement latency under a burst.
 *
 * 500 `/sora generate` commands arrive at once; each latency runs from the
 * moment the fake platform sends the command to the moment the bot's
 * acknowledgement reaches it:
 * - discord: INTERACTION_CREATE on the fake gateway → the type-5 (defer)
 *   callback POST arriving at the fake, through the real discord.js client;
 * - discord-http: the fake's signed POST to /discord/interactions → the
 *   type-5 defer arriving as its HTTP response (DISCORD_GATEWAY=off);
 * - slack-http: a signed slash-command POST to /slack/events → Bolt's HTTP ack;
 * - slack-socket: a Socket Mode envelope → the client's `{envelope_id}` ack.
 *
 * The bot runs as its own process (`node --import tsx src/main.ts`), as it is
 * deployed, with the start script's heap flags; the fakes and the simulator run
 * in this one, the way Discord's and Slack's servers are never on the bot's CPU.
 * Renders take an hour of provider time, so only the acknowledgement path and the
 * first post-ack steps are timed.
 * BENCH_IN_PROCESS=1 runs the bot inside this process instead (fakes included in
 * its event loop: pessimistic). BENCH_BOT_NODE_ARGS adds node flags to the bot's process
 * (`--cpu-prof --cpu-prof-dir=DIR`: it is then stopped with SIGTERM, so the profile is written);
 * BENCH_BOT_STDOUT=1 lets the bot's stdout through (for `--trace-opt`, `--trace-gc`).
 * BENCH_BOT_CPUS=1 runs the bot on CPU 1 only (`taskset -c 1`); start this script under
 * `taskset -c 0` to give the fakes the other one (bench/README.md: what that showed on 2 cores).
 *
 * `reference` as the third argument runs bench/reference-bot.ts (the same
 * libraries, acknowledging only) in the bot's place, on the same fakes.
 *
 * BENCH_COMPILED=1 runs the bot and the reference compiled, as the Dockerfile runs
 * the bot (`node dist/src/main.js`; build first with `tsc -p tsconfig.bench.json`);
 * otherwise under tsx, as `npm start` does, where esbuild's keepNames wraps every
 * named function the bot's own code creates.
 *
 * Usage: node --import tsx bench/ack-latency.ts discord|discord-http|slack-http|slack-socket [count] [reference]
 */
import { generateKeyPairSync } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startBot } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ManualClock } from '../src/core/clock.js';
import { silentLogger } from '../src/log.js';
import { startSimulator } from '../src/simulator/server.js';
import { FakeDiscord, type FakeUser } from '../test/fakes/discord/fake-discord.js';
import { FakeSlack, postSigned, slashCommandPayload } from '../test/fakes/slack/fake-slack.js';
import { ackLatencies, burstPrompt, deferLatencies, discordBurst } from './bursts.js';
import { emitResult, percentile, productionHeapFlags, REPO_DIR, round, startPeer, until } from './lib.js';

const platform = process.argv[2] ?? 'discord';
const COUNT = Number(process.argv[3] ?? 500);
const REFERENCE = process.argv[4] === 'reference';
const COMPILED = process.env.BENCH_COMPILED === '1';
/** A burst spread over servers and members, as a busy bot sees it; budgets set high so none is refused. */
const GUILDS = 10;
const USERS = 50;
const SIGNING_SECRET = 'bench-signing-secret';

// Starts at the real time: HTTP interactions are signed with the fake's clock and checked against the bot's.
const clock = new ManualClock(Date.now());
const IN_PROCESS = process.env.BENCH_IN_PROCESS === '1';
// The simulator takes the jobs the bot submits right after accepting them. In a process of its own, as
// a provider is: in this one, its work would slow the fakes' sending of the burst and count against the bot.
const peer = IN_PROCESS ? undefined : await startPeer({ renderMsPerVideoSecond: 60_000, concurrency: 1_000 });
const sim = peer ? { openaiBaseUrl: peer.info.openaiBaseUrl!, stop: () => peer.stop() } : await startSimulator({ clock, renderMsPerVideoSecond: 60_000, concurrency: 1_000, render: { ffmpegPath: false } });
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-ack-'));
const baseEnv: Record<string, string> = {
  PORT: '0',
  HTTP_HOST: '127.0.0.1',
  DATA_DIR: dataDir,
  CONSOLE: 'off',
  SIMULATOR: 'off',
  LOG_LEVEL: 'silent',
  OPENAI_API_KEY: 'sk-bench-0123456789',
  OPENAI_BASE_URL: sim.openaiBaseUrl,
  PUBLIC_URL: 'http://127.0.0.1:9',
  DEFAULT_MONTHLY_BUDGET_USD: '1000000',
  DEFAULT_USER_MONTHLY_BUDGET_USD: '1000000',
};

const latencies: number[] = [];
/** CPU used by a process in ms: all its threads, and its main thread alone. */
type Cpu = { totalMs: number; mainMs: number };
/** The bot's CPU from the first command sent to the last acknowledgement received. */
let burstCpu: Cpu = { totalMs: 0, mainMs: 0 };
let stopAll: () => Promise<void>;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * CPU time a process has used, in ms, from /proc (utime + stime, in clock ticks of 10 ms on Linux):
 * the bot's work for the burst, which the machine's other load slows far less than it moves latency.
 * `mainMs` is the main thread's share (tasks/<pid>); the rest is V8's compiler and GC helper threads
 * and libuv's pool, which on this 2-core machine compete with the main thread and the fakes.
 */
function cpuMsOf(pid: number): Cpu {
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  return { totalMs: ticks(readFileSync(`/proc/${pid}/stat`, 'utf8')), mainMs: ticks(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')) };
}

const since = (before: Cpu, after: Cpu): Cpu => ({
  totalMs: after.totalMs - before.totalMs,
  mainMs: after.mainMs - before.mainMs,
});

/** Starts the bot with this environment: as a child process (default) or in this process. */
async function launchBot(env: Record<string, string>): Promise<{ port: number; cpuMs: () => Cpu; stop: () => Promise<void> }> {
  if (IN_PROCESS && !REFERENCE) {
    const bot = await startBot(loadConfig(env), { clock, logger: silentLogger });
    // This process's CPU, the fakes' included: in process, the figure is as pessimistic as the latency.
    return { port: bot.port, cpuMs: () => cpuMsOf(process.pid), stop: () => bot.stop() };
  }
  const port = await freePort();
  const extra = process.env.BENCH_BOT_NODE_ARGS ? process.env.BENCH_BOT_NODE_ARGS.split(' ') : [];
  const entry = COMPILED ? [REFERENCE ? 'dist/bench/reference-bot.js' : 'dist/src/main.js'] : ['--import', 'tsx', REFERENCE ? 'bench/reference-bot.ts' : 'src/main.ts'];
  // The heap flags the start script and the Dockerfile run the bot with (a 4-MB young generation: more
  // scavenges than V8's default), for the reference too, so both run as deployed.
  const heap = await productionHeapFlags();
  const argv = [...heap, ...extra, ...entry, ...(REFERENCE ? [platform] : [])];
  // BENCH_BOT_CPUS: the bot (its compiler and GC threads too) on these CPUs only, through util-linux's taskset.
  const pinned = process.env.BENCH_BOT_CPUS;
  const child = spawn(pinned ? 'taskset' : process.execPath, pinned ? ['-c', pinned, process.execPath, ...argv] : argv, {
    cwd: REPO_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env, PORT: String(port) },
    stdio: ['ignore', process.env.BENCH_BOT_STDOUT ? 'inherit' : 'ignore', 'inherit'],
  });
  // Ready means /healthz 200: store open and the chat adapter connected.
  await until(async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
    } catch {
      return false;
    }
  }, 'the bot process to be ready', 120_000, 20);
  return {
    port,
    cpuMs: () => cpuMsOf(child.pid!),
    stop: async () => {
      if (extra.length === 0) return void child.kill('SIGKILL');
      // A profiled bot writes its profile when it exits: let it stop.
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (platform === 'discord' || platform === 'discord-http') {
  const fake = new FakeDiscord({ clock });
  await fake.start();
  const keys = generateKeyPairSync('ed25519');
  const overHttp = platform === 'discord-http';
  const bot = await launchBot({
    ...baseEnv,
    DISCORD_TOKEN: 'discord-bench-token',
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
    ...(overHttp ? { DISCORD_PUBLIC_KEY: keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex'), DISCORD_GATEWAY: 'off' } : {}),
  });
  if (overHttp) fake.deliverOverHttp(`http://127.0.0.1:${bot.port}/discord/interactions`, keys.privateKey);
  const guilds = Array.from({ length: GUILDS }, (_, g) => String(910_000_000_000_000_000n + BigInt(g)));
  const channels = guilds.map((g) => fake.addChannel(g).id);
  const users: FakeUser[] = Array.from({ length: USERS }, (_, u) => ({ id: String(810_000_000_000_000_000n + BigInt(u)), username: `member${u}` }));
  const target = (i: number) => ({ guildId: guilds[i % GUILDS]!, channelId: channels[i % GUILDS]!, user: users[i % USERS]! });
  const cpuBefore = bot.cpuMs();
  const sent = discordBurst(fake, COUNT, target);
  latencies.push(...(await deferLatencies(fake, sent)));
  burstCpu = since(cpuBefore, bot.cpuMs());
  stopAll = async () => {
    await bot.stop();
    await fake.stop();
  };
  await bot.stop();
} else {
  const socket = platform === 'slack-socket';
  const fake = await new FakeSlack({ teamId: 'T0BENCH' }).start();
  const bot = await launchBot({
    ...baseEnv,
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_API_URL: fake.apiUrl,
    ...(socket ? { SLACK_APP_TOKEN: fake.appToken } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
  });
  if (socket) await until(() => fake.socketConnected, 'the Socket Mode connection');
  const eventsUrl = `http://127.0.0.1:${bot.port}/slack/events`;
  const burst = (count: number) => Array.from({ length: count }, (_, i) =>
    slashCommandPayload({
      command: '/sora',
      text: `generate ${burstPrompt(i)} --seconds 4`,
      user: `U${String(i % USERS).padStart(6, '0')}`,
      channel: `C${String(i % GUILDS).padStart(6, '0')}`,
      team: 'T0BENCH',
      responseUrl: fake.newResponseUrl(),
    }),
  );
  const ack = async (payload: ReturnType<typeof burst>[number]) => {
    // Socket Mode: the fake resolves once the bot's `{envelope_id}` ack arrives.
    if (socket) {
      await fake.sendEnvelope('slash_commands', payload);
      return true;
    }
    return (await postSigned(eventsUrl, payload, { secret: SIGNING_SECRET })).status === 200;
  };
  const cpuBefore = bot.cpuMs();
  latencies.push(...(await ackLatencies(burst(COUNT), ack)));
  burstCpu = since(cpuBefore, bot.cpuMs());
  await bot.stop();
  stopAll = async () => {
    await bot.stop();
    await fake.stop();
  };
}

emitResult({
  platform,
  bot: REFERENCE ? 'reference' : 'bot',
  code: COMPILED ? 'build' : 'tsx',
  count: latencies.length,
  p50Ms: round(percentile(latencies, 50)),
  p99Ms: round(percentile(latencies, 99)),
  maxMs: round(Math.max(...latencies)),
  // From the first answer to the p99: the part the bot's own work sets. Up to the first answer it is mostly this
  // process signing and sending the burst (its fetch calls), which it cannot interrupt to read an answer.
  spreadMs: round(percentile(latencies, 99) - Math.min(...latencies)),
  cpuMs: round(burstCpu.totalMs),
  mainThreadCpuMs: round(burstCpu.mainMs),
});
// Not a graceful stop: the bot would first finish posting 500 threads under Discord's 50 requests/s.
void stopAll;
await rm(dataDir, { recursive: true, force: true });
await peer?.stop();
process.exit(0);
