/**
 * Socket Mode through a local WebSocket, and a restart in the middle of a job:
 * the new process keeps editing the same status message and uploads exactly
 * once into the same thread.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeSlack } from '../fakes/slack/fake-slack.js';
import { CHANNEL, messageText, startSlackBot, TEAM } from '../fakes/slack/harness.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import { UPLOAD_SETTLE_MS } from '../../src/chat/slack/earlier-upload.js';

test('Socket Mode: the same generate flow over a WebSocket, and /healthz reports slack ready', async () => {
  const s = await startSlackBot({ socket: true });
  try {
    assert.ok(s.fake.callsTo('apps.connections.open').every((c) => c.token === s.fake.appToken));
    assert.equal(s.fake.callsTo('apps.connections.open').length, 1);
    const health = (await (await fetch(`http://127.0.0.1:${s.tb.bot.port}/healthz`)).json()) as { checks: Record<string, boolean> };
    assert.equal(health.checks.slack, true);

    const bad = await s.slash('/sora', 'generate x');
    assert.equal(bad.ack, undefined);
    const badAnswer = await s.fake.nextResponseTo(bad.responseUrl);
    assert.equal(badAnswer.response_type, 'ephemeral');
    assert.match(String(badAnswer.text), /at least 3 characters[\s\S]*Usage/);

    const { ack, ms } = await s.slash('/sora', 'generate a lighthouse in a storm --seconds 4');
    assert.equal(ack, undefined);
    assert.ok(ms < 3000, `ack took ${ms} ms`);
    await s.drive(async () => (await s.jobs())[0]?.state === 'delivered');
    const [job] = await s.jobs();
    const parent = s.fake.topLevel(CHANNEL)[0]!;
    assert.equal(job!.surface.parentTs, parent.ts);
    assert.match(messageText(parent), /a lighthouse in a storm/);
    const status = s.fake.thread(CHANNEL, parent.ts)[0]!;
    assert.ok(status.edits >= 2);
    assert.match(messageText(status), /Done/);
    assert.equal(s.fake.callsTo('files.getUploadURLExternal').length, 1);
    assert.equal(s.fake.callsTo('files.completeUploadExternal').length, 1);
    const upload = [...s.fake.uploads.values()][0]!;
    assert.equal(upload.bytes, upload.declaredLength);
    assert.equal(upload.completed?.threadTs, parent.ts);
  } finally {
    await s.stop();
  }
});

test('a restart mid-job delivers exactly once, into the same thread and the same status message', async () => {
  const fake = await new FakeSlack({ teamId: TEAM }).start();
  const first = await startSlackBot({ fake });
  let second: Awaited<ReturnType<typeof first.restart>> | undefined;
  try {
    await first.slash('/sora', 'generate a kite over a windy hill --seconds 12 --backend openai');
    await first.drive(async () => (await first.jobs())[0]?.state === 'running' && (await first.jobs())[0]!.progress > 0);
    const [before] = await first.jobs();
    const parentTs = String(before!.surface.parentTs);
    const statusTs = String(before!.surface.statusTs);
    assert.equal(fake.callsTo('files.completeUploadExternal').length, 0);

    second = await first.restart();
    await second.drive(async () => (await second!.jobs())[0]?.state === 'delivered');

    const [after] = await second.jobs();
    assert.equal(after!.id, before!.id);
    assert.equal(after!.surface.parentTs, parentTs);
    assert.equal(after!.surface.statusTs, statusTs);
    const completes = fake.callsTo('files.completeUploadExternal');
    assert.equal(completes.length, 1, 'exactly one upload');
    assert.equal(completes[0]!.args.thread_ts, parentTs);
    assert.equal(fake.topLevel(CHANNEL).length, 1, 'no second parent message');
    const thread = fake.thread(CHANNEL, parentTs);
    assert.equal(thread.length, 2, 'the status message and the video, nothing else');
    assert.equal(thread[0]!.ts, statusTs);
    assert.match(messageText(thread[0]), /Done/);
    assert.deepEqual(thread[1]!.files, [completes[0] && JSON.parse(String(completes[0].args.files))[0].id]);

    // The first delivery was marked before it posted, and posted with no look at the channel.
    assert.equal(typeof after!.deliveryMark?.at, 'number');
    assert.equal(fake.callsTo('files.list').length, 0, 'a first delivery costs no look');
    // The core may repeat `finished` after a crash that hit between the upload and recording it:
    // a third process, which never uploaded anything itself, must find the video in the channel.
    second = await second.restart();
    const surface = internalsOf(second.tb.bot.studio).runner.surfaces.get('slack')!;
    const repeat = { type: 'finished' as const, path: after!.resultPath!, bytes: after!.resultBytes!, earlierAttemptAt: after!.deliveryMark!.at };
    const patch = await surface.update({ ...after!, surface: { ...after!.surface, fileId: undefined } }, repeat);
    assert.equal(fake.callsTo('files.completeUploadExternal').length, 1);
    assert.ok(fake.callsTo('files.list').some((c) => c.args.channel === CHANNEL));
    assert.equal((patch as { fileId?: string } | undefined)?.fileId, JSON.parse(String(completes[0]!.args.files))[0].id, 'the earlier upload is recorded as the delivery');
  } finally {
    await (second ?? first).stop();
    await first.tb.sim.stop();
    await fake.stop();
  }
});

test('a repeated delivery whose earlier attempt posted nothing waits out the window a late share could land in, then posts once', async () => {
  const s = await startSlackBot();
  try {
    await s.slash('/sora', 'generate a heron standing in fog --seconds 4');
    await s.drive(async () => (await s.jobs())[0]?.state === 'delivered');
    const [job] = await s.jobs();
    const surface = internalsOf(s.tb.bot.studio).runner.surfaces.get('slack')!;
    const uploadsBefore = s.fake.callsTo('files.getUploadURLExternal').length;
    // Another job of the same thread whose earlier attempt died before Slack took anything.
    const unposted = { ...job!, id: 'j_unposted', surface: { ...job!.surface, fileId: undefined } };
    const startedAt = s.tb.clock.now();
    const looksBefore = s.fake.callsTo('files.list').length;
    let postedAt: number | undefined;
    const repeat = surface.update(unposted, { type: 'finished', path: job!.resultPath!, bytes: job!.resultBytes!, earlierAttemptAt: startedAt }).then((patch) => ((postedAt = s.tb.clock.now()), patch));
    await s.fake.called('files.list', looksBefore + 1);
    assert.equal(s.fake.callsTo('files.getUploadURLExternal').length, uploadsBefore, 'nothing posted while a late share may still appear');
    await s.drive(() => postedAt !== undefined, 1_000);
    const patch = (await repeat) as { fileId?: string } | undefined;
    assert.ok(postedAt! - startedAt >= UPLOAD_SETTLE_MS, `posted ${postedAt! - startedAt} ms after the earlier attempt`);
    assert.ok(s.fake.callsTo('files.list').length > looksBefore + 1, 'the channel was read again before posting');
    const posted = [...s.fake.uploads.values()].filter((u) => u.filename === 'j_unposted.mp4');
    assert.equal(posted.length, 1, 'posted exactly once');
    assert.equal(patch?.fileId, posted[0]!.id);
  } finally {
    await s.stop();
  }
});
