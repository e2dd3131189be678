/**
 * `--takes 3` on the console: the real console adapter reading the text syntax from a stream, over the
 * real bot in-process (HTTP backends against the simulator, SQLite, media store, ManualClock). The
 * provider blocks one take: the console prints three numbered take lines (two done, one failed), the
 * failed take's share goes back, `/sora keep` marks one and `/cost` shows the takes of the request.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createConsoleAdapter, CONSOLE_TENANT, type ConsoleAdapter } from '../../src/chat/console/console-adapter.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import { silentLogger } from '../../src/log.js';
import { driveUntil, waitFor } from '../helpers/drive.js';
import { startTestBot, type TestBot } from '../helpers/test-bot.js';

class Screen extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('console: three takes of one request', () => {
  let t: TestBot;
  let consoleAdapter: ConsoleAdapter;
  const input = new PassThrough();
  const screen = new Screen();
  before(async () => {
    t = await startTestBot();
    consoleAdapter = createConsoleAdapter({ studio: t.bot.studio, logger: silentLogger, input, output: screen, interactive: false, userName: 'alice', reportsDir: path.join(t.dataDir, 'reports') });
    consoleAdapter.start();
  });
  after(async () => {
    consoleAdapter.close();
    await t.stop();
  });

  it('prints the three numbered takes, releases the blocked one, keeps one with /sora keep and shows the takes in /cost', async () => {
    t.sim.faults.inject({ protocol: 'openai', fault: 'moderation', times: 1 });
    input.write('/sora generate a red kite over the dunes --seconds 4 --backend openai --takes 3\n');
    await waitFor(() => /Takes: /.test(screen.text), 'the acceptance');
    assert.match(screen.text, /Job (j_\w+) accepted: 3 takes of a 4s landscape .+, estimated \$1\.20 together \(\$0\.40 each\)\./);
    const ids = [.../Takes: 1\. (j_\w+), 2\. (j_\w+), 3\. (j_\w+)\./.exec(screen.text)!.slice(1)];
    assert.equal(new Set(ids).size, 3);

    const ended = () => ids.every((id, k) => new RegExp(`\\[${id} take ${k + 1}/3\\] (done|failed):`).test(screen.text));
    await driveUntil(t.clock, ended, { stepMs: 500, maxSteps: 2_000 });
    const done = ids.filter((id) => new RegExp(`\\[${id} take \\d/3\\] done: \\S+\\.mp4`).test(screen.text));
    const failed = ids.filter((id) => new RegExp(`\\[${id} take \\d/3\\] failed: .*blocked`).test(screen.text));
    assert.equal(done.length, 2, screen.text);
    assert.equal(failed.length, 1, screen.text);

    const { ledger } = internalsOf(t.bot.studio);
    const month = (await t.bot.studio.job({ tenant: CONSOLE_TENANT, userId: 'alice', displayName: 'alice', isAdmin: true }, ids[0]!)).ledgerMonth;
    assert.equal(await ledger.held(CONSOLE_TENANT, month, failed[0]!), undefined, 'the blocked take holds nothing');
    const summary = await ledger.summary(CONSOLE_TENANT, month);
    assert.equal(summary.total.reservedMicros, 0);
    assert.equal(summary.total.spentMicros, 800_000);

    const chosen = done[1]!;
    const index = ids.indexOf(chosen) + 1;
    input.write(`/sora keep ${failed[0]}\n/sora keep ${chosen}\n/cost\n`);
    await waitFor(() => /Takes per request/.test(screen.text), 'the /cost reply');
    assert.match(screen.text, new RegExp(`Take ${ids.indexOf(failed[0]!) + 1}/3 \\(job ${failed[0]}\\) cannot be kept: it has no video\\.`));
    assert.match(screen.text, new RegExp(`Kept take ${index}/3 \\(job ${chosen}\\) of request ${ids[0]}: remix, extend and --from_job of any of its takes now use it\\.`));
    assert.match(screen.text, new RegExp(`${ids[0]} \\(alice\\): 3 takes, 2 delivered, 1 failed \\(not charged\\), \\$0\\.80 charged, take ${index} kept`));
    assert.doesNotMatch(screen.text, /[`*]/, 'plain text on the console');
  });
});
