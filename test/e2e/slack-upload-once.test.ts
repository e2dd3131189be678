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

/** Two replicas on a fresh schema, one bucket, one provider and one fake Slack of their own. */
async function startPair(name: string) {
  const schema = await freshSchema(name);
  cleanups.push(() => schema.drop());
  const s3 = await startTestS3();
  cleanups.push(() => s3.stop());
  const sim = await startSimulator({ renderMsPerVideoSecond: 50, render: { ffmpegPath: false } });
  cleanups.push(() => sim.stop());
  const slack = await new FakeSlack({ teamId: TEAM, botToken: 'xoxb-upload-once' }).start();
  cleanups.push(() => slack.stop());
  const env = {
    STORE_URL: schema.url,
    ...s3.env(name),
    SIMULATOR: 'off',
    OPENAI_API_KEY: 'sk-upload-once-0123456789',
    OPENAI_BASE_URL: sim.openaiBaseUrl,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    // A replica not heard from moves its job within a few seconds (a third of this, after this).
    REPLICA_TIMEOUT_SECONDS: '3',
    LOG_LEVEL: 'info',
  };
  // One media folder for both, as if each had the same path on its own disk with the same files: the
  // second must be able to post the video, so that only the look and the mark decide whether it does.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'upload-once-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const [first, second] = await Promise.all(['first', 'second'].map((id) => ClusterNode.start({ ...env, DATA_DIR: dataDir, REPLICA_ID: id })));
  cleanups.push(() => first!.stop(), () => second!.stop());
  // UPLOAD_ONCE_DEBUG=1 keeps both replicas' logs in the temp directory.
  if (process.env.UPLOAD_ONCE_DEBUG) cleanups.push(async () => [first!, second!].forEach((r, n) => writeFileSync(path.join(os.tmpdir(), `upload-once-${name}-${n}.log`), r.stderr)));
  const db = new pg.Client({ connectionString: schema.url });
  await db.connect();
  cleanups.push(() => db.end());
  const generate = async (replica: ClusterNode, prompt: string) => {
    const form = slashCommandPayload({ command: '/sora', text: `generate ${prompt} --seconds 4 --backend openai`, user: 'U0ONCE', channel: CHANNEL, team: TEAM, responseUrl: slack.newResponseUrl() });
    assert.equal((await postSigned(`http://127.0.0.1:${replica.port}/slack/events`, form, { secret: SIGNING_SECRET })).status, 200);
  };
  const stateOf = async (jobId: string) => ((await db.query('SELECT state FROM jobs WHERE id = $1', [jobId])).rows[0] as { state: string } | undefined)?.state;
  const delivered = (jobId: string, by: ClusterNode) =>
    waitFor(async () => (await stateOf(jobId)) === 'delivered', `job ${jobId} to be delivered`, 240_000).catch((error: Error) => {
      throw new Error(`${error.message}\nlog of the replica expected to deliver it:\n${by.stderr.slice(-4000)}`);
    });
  /** Delivered once, charged once, nothing left reserved, one provider job. */
  const chargedOnce = async (jobId: string) => {
    const { record } = (await db.query('SELECT record FROM jobs WHERE id = $1', [jobId])).rows[0] as { record: string };
    const job = JSON.parse(record) as { priceMicros: number; surface: { fileId?: string } };
    assert.equal(job.priceMicros, PRICE_MICROS);
    const money = (await db.query('SELECT reserved, spent FROM ledger_months')).rows as { reserved: string; spent: string }[];
    assert.equal(money.length, 1);
    assert.equal(Number(money[0]!.spent), PRICE_MICROS, 'charged once');
    assert.equal(Number(money[0]!.reserved), 0, 'nothing left reserved');
    assert.deepEqual((await db.query('SELECT job_id FROM reservations')).rows, []);
    assert.equal(sim.stats.jobsCreated, 1, 'one provider job');
    return job;
  };
  return { slack, first: first!, second: second!, generate, delivered, chargedOnce };
}

describe('Slack posts a video once when the replica delivering it dies or is taken for dead', { skip: !hasPostgres && 'Postgres is not reachable (see the SKIPPED line above)', timeout: 600_000 }, () => {
  it('killed after Slack took its upload: the replica that takes the job over finds the upload; the video is in the thread once, the job delivered and charged once', async () => {
    const { slack, first: doomed, second: survivor, generate, delivered, chargedOnce } = await startPair('uploadonce');
    // Slack takes the upload but the answer never reaches the replica, and the share into the channel waits.
    slack.hold('files.completeUploadExternal', { applied: true });
    slack.holdShares();
    await generate(doomed, 'a paper lantern over a dark lake');
    await slack.called('files.completeUploadExternal', 1);
    doomed.child.kill('SIGKILL');
    const looksBefore = slack.callsTo('files.list').length;
    await waitFor(() => doomed.child.exitCode !== null || doomed.child.signalCode !== null, 'the killed replica to be gone', 30_000);
    slack.release('files.completeUploadExternal');
    const [upload] = [...slack.uploads.values()];
    assert.ok(upload?.completed, 'Slack holds the completed upload');
    const jobId = upload.filename.replace(/\.mp4$/, '');

    // The survivor takes the job over and looks for the earlier upload; only then does Slack share it.
    await waitFor(() => slack.callsTo('files.list').length > looksBefore || slack.callsTo('files.completeUploadExternal').length > 1, 'the survivor to look for the upload, or to post again', 240_000);
    assert.equal(slack.callsTo('files.completeUploadExternal').length, 1, 'posted again without looking');
    slack.releaseShares();

    await delivered(jobId, survivor);

    // The video is in the thread exactly once.
    const completed = [...slack.uploads.values()].filter((u) => u.completed);
    assert.deepEqual(completed.map((u) => u.filename), [`${jobId}.mp4`], 'one upload of the video');
    assert.equal(slack.callsTo('files.completeUploadExternal').length, 1);
    const withVideo = slack.messages.filter((m) => m.files.includes(upload.id));
    assert.equal(withVideo.length, 1, 'one message carries the video');
    assert.equal(withVideo[0]!.threadTs, upload.completed.threadTs);
    assert.equal(slack.topLevel(CHANNEL).length, 1, 'one thread parent');
    assert.ok(survivor.logs('video already in the slack thread; not uploading again').some((l) => l.job === jobId), 'the survivor found the upload');
    const job = await chargedOnce(jobId);
    assert.equal(job.surface.fileId, upload.id, 'the earlier upload is recorded as the delivery');
    // The status message says done, in the same thread.
    const thread = slack.thread(CHANNEL, upload.completed.threadTs!);
    assert.ok(thread.some((m) => /Done/.test(`${m.text}${JSON.stringify(m.blocks)}`)), 'the status message says done');
  });

  it('taken for dead while still uploading (SIGSTOP): the other replica takes the job over and posts, and the slow one, woken, posts nothing', async () => {
    const { slack, first: slow, second: other, generate, delivered, chargedOnce } = await startPair('uploadslow');
    // The first replica asks for an upload URL and stops right there (SIGSTOP: alive, but silent).
    slack.hold('files.getUploadURLExternal');
    await generate(slow, 'a heron wading at dawn');
    await slack.called('files.getUploadURLExternal', 1);
    slow.child.kill('SIGSTOP');
    cleanups.push(async () => slow.child.kill('SIGCONT'));
    slack.release('files.getUploadURLExternal');
    const jobId = [...slack.uploads.values()][0]!.filename.replace(/\.mp4$/, '');
    // The other takes the job over (no attempt got as far as marking it: no look), marks it and uploads;
    // its posting call is held so the slow one wakes while the job is still being delivered.
    slack.hold('files.completeUploadExternal');
    await slack.called('files.completeUploadExternal', 1);
    const fromOther = slack.callsTo('files.completeUploadExternal')[0]!;
    slow.child.kill('SIGCONT');
    const gaveUp = () => slow.logs('delivery to the chat platform failed; will retry').find((l) => l.job === jobId);
    await waitFor(() => gaveUp() !== undefined || slack.callsTo('files.completeUploadExternal').length > 1, 'the woken replica to give up its attempt, or to post', 120_000);
    assert.equal(slack.callsTo('files.completeUploadExternal').length, 1, 'the woken replica posted too');
    assert.match(JSON.stringify(gaveUp()!.err), /another attempt took over the delivery/);
    slack.release('files.completeUploadExternal');
    await delivered(jobId, other);

    const completed = [...slack.uploads.values()].filter((u) => u.completed);
    assert.deepEqual(completed.map((u) => u.filename), [`${jobId}.mp4`], 'one upload of the video');
    assert.equal(slack.callsTo('files.completeUploadExternal').length, 1, 'the woken replica never posted');
    assert.equal(JSON.parse(String(fromOther.args.files))[0].id, completed[0]!.id);
    const job = await chargedOnce(jobId);
    assert.equal(job.surface.fileId, completed[0]!.id);
  });
});
