/**
 * Measurement 5: cold start, from spawning the process to its "bot ready" log
 * line (written after the store is open, the HTTP server listens, the chat
 * adapters are connected and unfinished jobs are resumed).
 *
 * - console: no keys, so the embedded simulator starts too; stdin is a pipe
 *   held open (piped console mode).
 * - discord: the Discord adapter logs in to the fake Discord (REST + gateway)
 *   running in this process; the console is off.
 * Each is run with `node --import tsx src/main.ts` and, when `dist/` can be
 * built, with the compiled `node dist/src/main.js`. Median of RUNS starts, each
 * with a fresh DATA_DIR.
 *
 * Usage: node --import tsx bench/cold-start.ts [runs]
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../src/core/clock.js';
import { FakeDiscord } from '../test/fakes/discord/fake-discord.js';
import { emitResult, median, REPO_DIR, round } from './lib.js';

const RUNS = Number(process.argv[2] ?? 3);

const fake = new FakeDiscord({ clock: new ManualClock() });
await fake.start();

async function startOnce(entry: string[], env: Record<string, string>): Promise<number> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-cold-'));
  const started = performance.now();
  const child = spawn(process.execPath, entry, {
    cwd: REPO_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no "bot ready" within 20 s:\n${out}`)), 20_000);
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('"msg":"bot ready"')) {
          clearTimeout(timer);
          resolve(performance.now() - started);
        }
      };
      // The console owns stdout, so its logs go to stderr: watch both.
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`exited with ${code} before ready:\n${out}`)));
    });
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function measure(entry: string[], env: Record<string, string>): Promise<{ medianMs: number; runsMs: number[] }> {
  const runsMs: number[] = [];
  for (let i = 0; i < RUNS; i++) runsMs.push(round(await startOnce(entry, env), 0));
  return { medianMs: median(runsMs), runsMs };
}

const consoleEnv = { CONSOLE: 'on' };
const discordEnv = {
  CONSOLE: 'off',
  DISCORD_TOKEN: 'discord-bench-token',
  DISCORD_APPLICATION_ID: fake.applicationId,
  DISCORD_API_URL: fake.apiUrl,
};
const tsxEntry = ['--import', 'tsx', 'src/main.ts'];
const results: Record<string, unknown> = {
  tsxConsole: await measure(tsxEntry, consoleEnv),
  tsxDiscord: await measure(tsxEntry, discordEnv),
};

// The compiled build: worth reporting only if it can be built here in reasonable time.
const buildStarted = performance.now();
const build = spawnSync(process.execPath, [path.join(REPO_DIR, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_DIR, encoding: 'utf8' });
const buildMs = round(performance.now() - buildStarted, 0);
const compiledMain = path.join(REPO_DIR, 'dist/src/main.js');
if (build.status === 0 && existsSync(compiledMain)) {
  results.buildMs = buildMs;
  results.compiledConsole = await measure([compiledMain], consoleEnv);
  results.compiledDiscord = await measure([compiledMain], discordEnv);
} else {
  results.compiled = `not measured: the build failed (${(build.stdout + build.stderr).trim().slice(0, 300)})`;
}

emitResult(results);
await fake.stop();
process.exit(0);
