/**
 * `npm start` with no provider key runs every backend, the live ones included,
 * on the embedded simulator. First as the real process (the start script's
 * command), then in-process with a ManualClock to make a Kling video with a
 * character on the simulator.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startBot } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/log.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { driveUntil } from '../helpers/drive.js';
import { actor, RecordingSurface } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const LIVE = ['fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'fal-wan27', 'gemini', 'kling', 'vidu'];

describe('start without provider keys', () => {
  it('the start command comes up on the simulator with every backend', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'start-nokeys-'));
    // Only what a shell needs: no provider key can leak in from the environment running the tests.
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, DATA_DIR: dataDir, PORT: '0', CONSOLE: 'off', LOG_LEVEL: 'info' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const ready = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "bot ready" within 180 s:\n${out}`)), 180_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split('\n').find((l) => l.includes('bot ready'));
        if (line) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
    });
    const logged = JSON.parse(ready) as { backends: string[]; simulator: boolean };
    // No chat token and no console: healthy but idle, and the log says so at warning level.
    const idle = out.split('\n').find((l) => l.includes('no chat platform to serve'));
    assert.ok(idle, `a warning that there is nothing to serve:\n${out}`);
    assert.equal((JSON.parse(idle) as { level: number }).level, 40);
    assert.match(idle, /DISCORD_TOKEN .*SLACK_BOT_TOKEN .*CONSOLE=on/);
    assert.equal(logged.simulator, true);
    for (const id of LIVE) assert.ok(logged.backends.includes(id), `${id} runs on the simulator`);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });

  it('makes a character video on the simulated Kling, elements included', async () => {
    const clock = new ManualClock();
    const dataDir = await mkdtemp(join(tmpdir(), 'start-nokeys-inproc-'));
    const bot = await startBot(loadConfig({ DATA_DIR: dataDir, PORT: '0', CONSOLE: 'off', SIMULATOR_SECONDS_PER_VIDEO_SECOND: '1' }), { clock, logger: silentLogger, surfaces: [new RecordingSurface()] });
    try {
      assert.ok(bot.simulator, 'no keys: the embedded simulator runs');
      assert.deepEqual(LIVE.filter((id) => !bot.backends.some((b) => b.id === id)), []);
      const team = actor('console:local', 'me', true);
      await bot.studio.createCharacter(team, { name: 'mascot', description: 'a fox', clipPath: SAMPLE_CLIP_PATH });
      const accepted = await bot.studio.generate(team, { prompt: '@mascot waves', seconds: 5, orientation: 'landscape', resolution: '720p', audio: undefined, backend: 'kling', imagePath: undefined, remixOf: undefined }, { platform: 'test' });
      await driveUntil(clock, async () => ['delivered', 'failed', 'cancelled'].includes((await internalsOf(bot.studio).jobs.get(accepted.job.id))!.state), { stepMs: 500, maxSteps: 2000 });
      const job = (await internalsOf(bot.studio).jobs.get(accepted.job.id))!;
      assert.equal(job.state, 'delivered', JSON.stringify(job.error));
      assert.equal(bot.simulator!.stats.count('kling.element.create'), 1);
    } finally {
      await bot.stop();
    }
  });
});
