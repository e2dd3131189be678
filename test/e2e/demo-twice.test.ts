/**
 * The README's demo, run twice on the same DATA_DIR, as a newcomer would:
 * `npm start < examples/demo.txt`. The first run prints what the README shows.
 * The in-process simulator restarts with the
 * bot and forgets every character id it handed out, so the second run's
 * `@mascot` points at an id the provider no longer knows. The bot must heal
 * the binding (recreate it from the stored clip, resubmit, charge once) and
 * deliver, without asking the user anything.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runPipedBot } from '../helpers/piped-bot.js';
import { readBotData } from '../helpers/bot-tables.js';

const root = path.resolve(import.meta.dirname, '../..');

const runDemo = (dataDir: string, script: string) =>
  runPipedBot(script, { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', USER: 'alice', SIMULATOR_SECONDS_PER_VIDEO_SECOND: '0.05' });

/** The demo's output against the block the README shows right after `npm start < examples/demo.txt`. */
async function assertReadmeDemo(stdout: string, dataDir: string): Promise<void> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const block = /npm start < examples\/demo\.txt\n```\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'the README has the demo block right after the command');
  // Ids, sizes, the month and the data path differ per run; progress lines depend on timing.
  const normalize = (text: string) =>
    text
      .replaceAll(dataDir, 'data')
      .replace(/j_[a-z0-9]{8}/g, 'j_ID')
      .replace(/\d+ KiB/g, 'N KiB')
      .replace(/\d{4}-\d{2}/g, 'YYYY-MM')
      .split('\n')
      .filter((l) => l !== '' && !/^\[j_ID\] (sending|generating|downloading)/.test(l));
  const expected = normalize(block);
  const actual = normalize(stdout);
  // The README elides the per-backend lines after the first three.
  const elided = expected.indexOf('  … (one line per backend)');
  assert.ok(elided > 0);
  const firstAfter = expected[elided + 1]!;
  const resume = actual.findIndex((l, i) => i >= elided && l === firstAfter);
  assert.deepEqual(actual.slice(0, elided), expected.slice(0, elided));
  assert.ok(actual.slice(elided, resume).every((l) => l.startsWith('• ')), 'only backend lines are elided');
  assert.deepEqual(actual.slice(resume), expected.slice(elided + 1));
}

describe('the README demo, twice on one DATA_DIR', () => {
  // The restarted simulator has forgotten `@mascot`'s character id and answers `character_not_found`; the
  // backend reads that as `binding_missing` and the core recreates the binding once (issue 10 §3).
  it("prints what the README shows, then delivers the second time too: the forgotten @mascot binding is healed without a second charge", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'demo-twice-'));
    try {
      const demo = await readFile(path.join(root, 'examples/demo.txt'), 'utf8');
      const first = await runDemo(dataDir, demo);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /\] done: .+\.mp4/, first.stdout);
      await assertReadmeDemo(first.stdout, dataDir);

      const second = await runDemo(dataDir, demo);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /already|taken|exists/i, 'the character from the first run is still there');
      assert.match(second.stdout, /\] done: .+\.mp4/, `${second.stdout}\n${second.stderr}`);
      assert.doesNotMatch(second.stdout, /\] failed:/);
      assert.match(second.stderr, /provider no longer knows a character; healing the binding/, 'the heal is logged');
      const videos = (await readdir(path.join(dataDir, 'videos'))).filter((v) => v.endsWith('.mp4'));
      assert.equal(videos.length, 2);
      // The demo's /cost runs before its video ends, so the money is read from the store the bot left.
      await readBotData(dataDir, async (data) => {
        const jobs = await data.jobs.recent('console:local');
        assert.deepEqual(jobs.map((j) => j.state), ['delivered', 'delivered']);
        const total = (await data.ledger.summary('console:local', jobs[0]!.ledgerMonth)).total;
        assert.equal(total.reservedMicros, 0, 'nothing left reserved');
        assert.equal(total.jobs, 2);
        assert.equal(total.spentMicros, jobs[0]!.priceMicros! + jobs[1]!.priceMicros!, 'each video charged once');
        assert.equal(jobs[0]!.priceMicros, jobs[1]!.priceMicros, 'the healed video cost what the first did');
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
