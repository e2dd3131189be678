/**
 * `npm start` with a piped script, as a newcomer runs it: a real child process
 * with no provider keys, so the bot starts the simulator and talks to it over
 * real HTTP; SQLite in a temp DATA_DIR. The README's demo script is checked
 * against the README in demo-twice.test.ts, which runs it anyway.
 */
import assert from 'node:assert/strict';
import { runPipedBot } from '../helpers/piped-bot.js';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

describe('console adapter, as `npm start` with piped input', () => {
  it('creates a character from a clip, generates a video naming it, saves a playable MP4 and exits 0', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'console-e2e-'));
    try {
      const result = await runPipedBot(
        [
          '/character create mascot --video src/simulator/assets/sample.mp4 --description "a round orange robot"',
          '/sora generate @mascot waves at the camera --seconds 8',
          '/sora generate a cat --seconds 99',
          '/cost',
        ].join('\n'),
        { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', SIMULATOR_SECONDS_PER_VIDEO_SECOND: '0.05' },
      );
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Created @mascot/);
      assert.match(result.stdout, /Job j_\w+ accepted: \d+s landscape 720p, silent, on .+, estimated \$\d+\.\d{2}\./);
      assert.match(result.stdout, /--seconds must be at most 20\.\nUsage:\n\/sora generate <prompt>/);
      // The size is what ffprobe read from the delivered file.
      assert.match(result.stdout, /\] done: .+\.mp4 \(\d+ KiB, \d+s 1280x720, silent on [\w-]+, \$\d+\.\d+\)/);
      assert.match(result.stdout, /\nSpend for \d{4}-\d{2}\nTeam: \$\d/);
      // Plain text: no Slack markup, no backticks, and money in cents.
      assert.doesNotMatch(result.stdout, /[`*]/);
      assert.doesNotMatch(result.stdout, /\$\d+\.\d{3}/);
      const videos = await readdir(path.join(dataDir, 'videos'));
      assert.equal(videos.filter((v) => v.endsWith('.mp4')).length, 1);
      const handle = await open(path.join(dataDir, 'videos', videos.find((v) => v.endsWith('.mp4'))!), 'r');
      const head = Buffer.alloc(8);
      await handle.read(head, 0, 8, 0);
      await handle.close();
      assert.equal(head.subarray(4, 8).toString('latin1'), 'ftyp');
      assert.doesNotMatch(result.stdout + result.stderr, /at \w+ \(|Error:/);
      assert.doesNotMatch(result.stdout, /"level":/, "logs stay off stdout while the console owns it");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('stops with a sentence naming the variable when the config is invalid', async () => {
    const result = await runPipedBot('', { PORT: 'eighty', DEFAULT_MONTHLY_BUDGET_USD: 'lots' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /PORT .*\(got "eighty"\)/);
    assert.match(result.stderr, /DEFAULT_MONTHLY_BUDGET_USD must be a dollar amount/);
  });
});
