/**
 * The team controls on the console, as `npm start < script` runs them: the
 * console's one user is the only admin, so they approve their own expensive
 * video; `/cost --export csv` writes the chart and the CSV and prints their
 * paths; `/settings` and `/audit` answer in plain text.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runPipedBot } from '../helpers/piped-bot.js';

describe('team controls on the console', () => {
  it('approves, applies channel-less defaults, writes the chart PNG and the CSV, and shows the audit trail', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'console-team-'));
    try {
      const script = [
        '/budget set --approve-above 1',
        '/sora generate a lighthouse at dusk --seconds 12 --backend openai',
        '/sora status',
        '/settings show',
        '/cost --export csv',
        '/audit --limit 5',
      ].join('\n');
      const result = await runPipedBot(script, { DATA_DIR: dataDir, PORT: '0', USER: 'alice', LOG_LEVEL: 'warn', SIMULATOR_SECONDS_PER_VIDEO_SECOND: '0.05' });
      assert.equal(result.code, 0, result.stderr);
      const out = result.stdout;
      assert.match(out, /Waiting for an admin: the estimate is above the \$1\.00 approval threshold/);
      const jobId = /\[(j_[a-z0-9]+)\] waiting for an admin's approval/.exec(out)?.[1];
      assert.ok(jobId, out);
      assert.match(out, /Settings\nApproval: videos above \$1\.00 wait for an admin\./);
      const chart = /^Chart: (\S+\.png)$/m.exec(out)?.[1];
      const csv = /^CSV: (\S+\.csv)$/m.exec(out)?.[1];
      assert.ok(chart && csv, out);
      const png = await readFile(path.resolve(chart));
      assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
      assert.ok(png.length > 0);
      const rows = (await readFile(path.resolve(csv), 'utf8')).trim().split('\r\n');
      assert.equal(rows[0], 'id,time,member,channel,backend,seconds,estimate,charged,official price,state,approval');
      assert.ok(rows.some((r) => r.startsWith(`${jobId},`) && r.endsWith(',waiting')), rows.join('\n'));
      assert.match(out, /alice · reserve j_[a-z0-9]+: held \$1\.20/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
