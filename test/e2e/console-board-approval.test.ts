/**
 * A storyboard above the approval threshold on the console, as `npm start`
 * runs it with its input piped: the real entry point in its own process, the
 * built-in simulator over real HTTP, SQLite in a temp DATA_DIR. The input is
 * written line by line as the bot answers (the board id is only known once it
 * is printed). The console's one user is the team's only admin, so they decide
 * on their own boards. Afterwards the ledger is read back from the store.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { monthOf } from '../../src/core/ledger.js';
import { pipedConversation } from '../helpers/piped-bot.js';
import { readBotData } from '../helpers/bot-tables.js';

describe('console: a storyboard above the approval threshold', () => {
  it('waits holding the sum; approved, it is delivered and charged exactly its shots; denied, everything is released', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'console-board-approval-'));
    try {
      const bot = pipedConversation({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', USER: 'alice', SIMULATOR_SECONDS_PER_VIDEO_SECOND: '0.05' });
      bot.send('/budget set --approve-above 1');
      bot.send('/sora storyboard a fox wakes | a fox yawns | a fox runs --seconds 4 --backend openai');
      const approved = (await bot.see(/\[(b_\w+)\] Estimated \$1\.20 in all, above the \$1\.00 approval threshold; the money is held and no shot starts until an admin approves \(\/sora approve b_\w+, \/sora deny b_\w+ --reason …\)\./))[1]!;
      await bot.see(new RegExp(`\\[${approved}\\] Shot 3: waiting for approval \\(\\$0\\.40\\)`));
      bot.send('/cost');
      await bot.see(/alice: \$0\.00 \(\+\$1\.20 reserved\)/);
      bot.send(`/sora approve ${approved}`);
      await bot.see(new RegExp(`Approved storyboard ${approved} for alice; its 3 shot\\(s\\) start now\\.`));
      await bot.see(new RegExp(`\\[${approved}\\] Storyboard ${approved} was approved by alice; its shots start now\\.`));

      bot.send('/sora storyboard a heron lands | a heron fishes | a heron flies --seconds 4 --backend openai');
      const denied = (await bot.see(new RegExp(`\\[(b_(?!${approved.slice(2)})\\w+)\\] Estimated \\$1\\.20 in all`)))[1]!;
      bot.send(`/sora deny ${denied} --reason three herons is too many`);
      await bot.see(new RegExp(`Denied storyboard ${denied} for alice; its \\$1\\.20 went back to the budget\\.`));
      await bot.see(new RegExp(`\\[${denied}\\] Storyboard ${denied} was not approved\\. Denied by alice: three herons is too many\\. Its \\$1\\.20 went back to the budget and no shot was made\\.`));
      const result = await bot.end();
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`\\[${approved}\\] done: \\S+\\.mp4 \\(\\d+ KiB, \\d+s, 3 shots, \\$1\\.20\\)`));
      assert.doesNotMatch(result.stdout, new RegExp(`\\[${denied}\\] (done|Shot \\d: (queued|rendering|done))`), 'no shot of the denied board ran');

      await readBotData(dataDir, async (data) => {
        const { boards } = data;
        assert.equal((await boards.get(approved))?.state, 'delivered');
        assert.equal((await boards.get(denied))?.state, 'cancelled');
        const jobs = await data.jobs.recent('console:local');
        assert.deepEqual(jobs.filter((j) => j.board?.id === denied).map((j) => j.state), ['cancelled', 'cancelled', 'cancelled']);
        const summary = await data.ledger.summary('console:local', monthOf(jobs[0]!.createdAt));
        assert.equal(summary.total.spentMicros, 1_200_000, "charged exactly the approved board's three shots");
        assert.equal(summary.total.reservedMicros, 0, "the denied board's reservations were released");
      });
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
