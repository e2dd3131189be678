/**
 * `/sora storyboard` on the console as `npm start < script` runs it: the real
 * entry point in its own process, the built-in simulator over real HTTP, SQLite
 * in a temp DATA_DIR. After it exits, the store and the files are read back:
 * the sum of the shots was held at once and then charged, and one joined MP4
 * as long as its shots together came out.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { monthOf } from '../../src/core/ledger.js';
import { formatUsd } from '../../src/core/money.js';
import { runPipedBot } from '../helpers/piped-bot.js';
import { frameSizes, probeDuration } from '../helpers/video-probe.js';
import { readBotData } from '../helpers/bot-tables.js';

describe('console: a three-shot storyboard with one character', () => {
  it('holds the sum, renders the shots, prints one line per change, joins one MP4 as long as the shots and charges the sum', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'console-board-'));
    try {
      const result = await runPipedBot(
        [
          '/character create mascot --video src/simulator/assets/sample.mp4 --description "a round orange robot"',
          '/sora storyboard @mascot wakes up | @mascot makes coffee --seconds 8 | @mascot walks to the beach --seconds 4',
          '/cost',
        ].join('\n'),
        { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', USER: 'alice', SIMULATOR_SECONDS_PER_VIDEO_SECOND: '0.05' },
      );
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout;
      const accepted = /Storyboard (b_\w+) accepted: 3 shots, (\d+)s landscape on .+, estimated (\$\d+\.\d{2}) together\./.exec(out);
      assert.ok(accepted, out);
      const [, boardId, seconds, estimate] = accepted;
      assert.equal(Number(seconds), 4 + 8 + 4, "a shot's own --seconds wins over the board's");
      assert.match(out, /Shot 2: 8s "@mascot makes coffee"/);
      // The /cost right after acceptance: the whole sum is held before any shot ran.
      assert.match(out, new RegExp(`alice: \\$0\\.00 \\(\\+\\${estimate} reserved\\)`));
      for (const shot of [1, 2, 3]) assert.match(out, new RegExp(`\\[${boardId}\\] Shot ${shot}: done \\(\\d+s, \\$\\d+\\.\\d{2}\\)`));
      const done = new RegExp(`\\[${boardId}\\] done: (\\S+\\.mp4) \\(\\d+ KiB, \\d+s, 3 shots, (\\$\\d+\\.\\d{2})\\)`).exec(out);
      assert.ok(done, out);
      assert.equal(done[2], estimate, 'charged what was estimated');
      assert.equal(out.match(new RegExp(`\\[${boardId}\\] done:`, 'g'))?.length, 1, 'delivered once');
      assert.doesNotMatch(out, /\[j_\w+\] done:/, 'no shot is delivered on its own');

      await readBotData(dataDir, async (data) => {
        const shots = (await data.jobs.recent('console:local')).filter((j) => j.board?.id === boardId).sort((a, b) => a.board!.shot - b.board!.shot);
        assert.equal(shots.length, 3);
        const summary = await data.ledger.summary('console:local', monthOf(shots[0]!.createdAt));
        const sum = shots.reduce((s, j) => s + j.estimateMicros, 0);
        assert.equal(formatUsd(sum), estimate, 'the estimate shown is the sum of the shots');
        assert.equal(summary.total.spentMicros, sum, 'settled: exactly the sum');
        assert.equal(summary.total.reservedMicros, 0);
        const joined = path.resolve(done[1]!);
        const total = (await Promise.all(shots.map((j) => probeDuration(j.resultPath!)))).reduce((a, b) => a + b, 0);
        const length = await probeDuration(joined);
        assert.ok(Math.abs(length - total) <= 0.2, `joined ${length}s, shots add up to ${total}s`);
        assert.equal((await frameSizes(joined)).size, 1, 'one resolution throughout');
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('console: /sora extend', () => {
  it('continues a video made in an earlier run from its last frame and saves one MP4 as long as both, charging the extension like a generate', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'console-extend-'));
    const env = { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', USER: 'alice', SIMULATOR_SECONDS_PER_VIDEO_SECOND: '0.05' };
    try {
      const first = await runPipedBot(
        ['/character create mascot --video src/simulator/assets/sample.mp4 --description "a round orange robot"', '/sora generate @mascot waves at the camera --seconds 4'].join('\n'),
        env,
      );
      assert.equal(first.code, 0, first.stderr);
      const made = /\[(j_\w+)\] done: (\S+\.mp4)/.exec(first.stdout);
      assert.ok(made, first.stdout);
      const [, jobId, originalFile] = made;

      // A second run over the same DATA_DIR, as a user would come back to it the next day.
      const second = await runPipedBot([`/sora extend ${jobId} --prompt then it jumps into the sea --seconds 8`, '/cost'].join('\n'), env);
      assert.equal(second.code, 0, second.stderr);
      const out = second.stdout;
      const accepted = new RegExp(`Extension (b_\\w+) accepted: 8s more after ${jobId} \\(4s\\) on .+, estimated (\\$\\d+\\.\\d{2})\\.`).exec(out);
      assert.ok(accepted, out);
      const [, boardId, estimate] = accepted;
      assert.match(out, new RegExp(`alice: \\$\\d+\\.\\d{2} \\(\\+\\${estimate} reserved\\)`), 'the extension is held before it runs');
      const done = new RegExp(`\\[${boardId}\\] done: (\\S+\\.mp4) \\(\\d+ KiB, 12s, extended ${jobId}, (\\$\\d+\\.\\d{2})\\)`).exec(out);
      assert.ok(done, out);
      assert.equal(done[2], estimate, 'charged what was estimated');

      await readBotData(dataDir, async (data) => {
        const extension = (await data.jobs.recent('console:local')).find((j) => j.board?.id === boardId)!;
        assert.ok(extension.input.imagePath, 'started from an image: the last frame');
        assert.match(extension.input.prompt, /@mascot/, 'with the same character');
        const summary = await data.ledger.summary('console:local', monthOf(extension.createdAt));
        assert.equal(summary.total.reservedMicros, 0);
        const original = (await data.jobs.get(jobId!))!;
        assert.equal(summary.total.spentMicros, original.priceMicros! + extension.priceMicros!, 'the original and the extension, each once');
        const expected = (await probeDuration(path.resolve(originalFile!))) + (await probeDuration(extension.resultPath!));
        const length = await probeDuration(path.resolve(done[1]!));
        assert.ok(Math.abs(length - expected) <= 0.2, `saved ${length}s, original + extension = ${expected}s`);
        assert.ok(Math.abs(length - 12) <= 0.2, `4s + 8s, got ${length}s`);
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
