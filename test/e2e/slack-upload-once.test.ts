/**
 * Two replicas on one Postgres and one S3-protocol server; the one delivering
 * a video to Slack is SIGKILLed in the worst window: Slack has taken the
 * upload (files.completeUploadExternal applied, its answer withheld by the
 * fake) and has not yet shared it into the channel, so nothing the replica
 * could have recorded says the video was posted. The other replica takes the
 * job over and must find that upload instead of posting the video a second
 * time (issue 13: Slack's upload has no idempotency key).
 *
 * Deterministic: the fake Slack withholds the answer and the share, the test
 * kills the replica once the upload call has arrived, and lets the share
 * happen only after the survivor has looked once and found nothing.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { startSimulator } from '../../src/simulator/server.js';
import { FakeSlack, postSigned, slashCommandPayload } from '../fakes/slack/fake-slack.js';
import { ClusterNode } from '../helpers/cluster.js';
import { waitFor } from '../helpers/drive.js';
import { freshSchema } from '../helpers/pg-schema.js';
import { startTestS3 } from '../helpers/s3-server.js';
import { serviceAvailable } from '../helpers/services.js';

const hasPostgres = await serviceAvailable('postgres', 'the Slack exactly-once takeover test (test/e2e/slack-upload-once.test.ts)');
const SIGNING_SECRET = 'upload-once-signing-secret';
const TEAM = 'T0ONCE';
const CHANNEL = 'C0ONCE';
/** 4 s on the OpenAI-shaped simulator at $0.10/s. */
const PRICE_MICROS = 400_000;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

describe('a replica killed after Slack took its upload', { skip: !hasPostgres && 'Postgres is not reachable (see the SKIPPED line above)', timeout: 600_000 }, () => {
  it('the replica that takes the job over finds the upload: the video is in the thread once, the job delivered and charged once', async () => {
    const schema = await freshSchema('uploadonce');
    cleanups.push(() => schema.drop());
    const s3 = await startTestS3();
    cleanups.push(() => s3.stop());
    const sim = await startSimulator({ renderMsPerVideoSecond: 50, render: { ffmpegPath: false } });
    cleanups.push(() => sim.stop());
    const slack = await new FakeSlack({ teamId: TEAM, botToken: 'xoxb-upload-once' }).start();
    cleanups.push(() => slack.stop());
    const env = {
      STORE_URL: schema.url,
      ...s3.env('once'),
      SIMULATOR: 'off',
      OPENAI_API_KEY: 'sk-upload-once-0123456789',
      OPENAI_BASE_URL: sim.openaiBaseUrl,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_API_URL: slack.apiUrl,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      // The dead replica's job moves within a few seconds (a third of this, after this).
      REPLICA_TIMEOUT_SECONDS: '3',
      LOG_LEVEL: 'info',
    };
    // One media folder for both, as if each had the same path on its own disk with the same files: the
    // survivor must be able to post the video, so that only the look decides whether it does.
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'upload-once-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const [doomed, survivor] = await Promise.all(['doomed', 'survivor'].map((name) => ClusterNode.start({ ...env, DATA_DIR: dataDir, REPLICA_ID: name })));
    cleanups.push(() => doomed!.stop(), () => survivor!.stop());
    // UPLOAD_ONCE_DEBUG=1 keeps both replicas' logs in the temp directory.
    if (process.env.UPLOAD_ONCE_DEBUG) cleanups.push(async () => [doomed!, survivor!].forEach((r, n) => writeFileSync(path.join(os.tmpdir(), `upload-once-${n}.log`), r.stderr)));

    // Slack takes the upload but the answer never reaches the replica, and the share into the channel waits.
    slack.hold('files.completeUploadExternal', { applied: true });
    slack.holdShares();
    const form = slashCommandPayload({ command: '/sora', text: 'generate a paper lantern over a dark lake --seconds 4 --backend openai', user: 'U0ONCE', channel: CHANNEL, team: TEAM, responseUrl: slack.newResponseUrl() });
    const ack = await postSigned(`http://127.0.0.1:${doomed!.port}/slack/events`, form, { secret: SIGNING_SECRET });
    assert.equal(ack.status, 200);
    await slack.called('files.completeUploadExternal', 1);
    doomed!.child.kill('SIGKILL');
    const looksBefore = slack.callsTo('files.list').length;
    await waitFor(() => doomed!.child.exitCode !== null || doomed!.child.signalCode !== null, 'the killed replica to be gone', 30_000);
    slack.release('files.completeUploadExternal');
    const [upload] = [...slack.uploads.values()];
    assert.ok(upload?.completed, 'Slack holds the completed upload');
    const jobId = upload.filename.replace(/\.mp4$/, '');

    // The survivor takes the job over and looks for the earlier upload; only then does Slack share it.
    await slack.called('files.list', looksBefore + 1);
    assert.equal(slack.callsTo('files.completeUploadExternal').length, 1, 'nothing uploaded again before the look');
    slack.releaseShares();

    const db = new pg.Client({ connectionString: schema.url });
    await db.connect();
    cleanups.push(() => db.end());
    const stateOf = async () => ((await db.query('SELECT state FROM jobs WHERE id = $1', [jobId])).rows[0] as { state: string } | undefined)?.state;
    await waitFor(async () => (await stateOf()) === 'delivered', `job ${jobId} to be delivered by the survivor`, 240_000).catch((error: Error) => {
      throw new Error(`${error.message}\nsurvivor log:\n${survivor!.stderr.slice(-4000)}`);
    });

    // The video is in the thread exactly once.
    const completed = [...slack.uploads.values()].filter((u) => u.completed);
    assert.deepEqual(completed.map((u) => u.filename), [`${jobId}.mp4`], 'one upload of the video');
    assert.equal(slack.callsTo('files.completeUploadExternal').length, 1);
    const withVideo = slack.messages.filter((m) => m.files.includes(upload.id));
    assert.equal(withVideo.length, 1, 'one message carries the video');
    assert.equal(withVideo[0]!.threadTs, upload.completed.threadTs);
    assert.equal(slack.topLevel(CHANNEL).length, 1, 'one thread parent');
    assert.ok(survivor!.logs('video already in the slack thread; not uploading again').some((l) => l.job === jobId), 'the survivor found the upload');

    // Delivered once, charged once, nothing left reserved, one provider job.
    const { record } = (await db.query('SELECT record FROM jobs WHERE id = $1', [jobId])).rows[0] as { record: string };
    const job = JSON.parse(record) as { priceMicros: number; surface: { fileId?: string }; deliveryStartedAt?: number };
    assert.equal(job.priceMicros, PRICE_MICROS);
    assert.equal(job.surface.fileId, upload.id, 'the earlier upload is recorded as the delivery');
    const money = (await db.query('SELECT reserved, spent FROM ledger_months')).rows as { reserved: string; spent: string }[];
    assert.equal(money.length, 1);
    assert.equal(Number(money[0]!.spent), PRICE_MICROS, 'charged once');
    assert.equal(Number(money[0]!.reserved), 0, 'nothing left reserved');
    assert.deepEqual((await db.query('SELECT job_id FROM reservations')).rows, []);
    assert.equal(sim.stats.jobsCreated, 1, 'one provider job');
    // The status message says done, in the same thread.
    const thread = slack.thread(CHANNEL, upload.completed.threadTs!);
    assert.ok(thread.some((m) => /Done/.test(`${m.text}${JSON.stringify(m.blocks)}`)), 'the status message says done');
  });
});
