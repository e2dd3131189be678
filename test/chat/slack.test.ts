/**
 * The Slack adapter end to end over HTTP: the real Bolt app inside the real
 * bot (startBot), signed requests to /slack/events, a fake Slack Web API and
 * the provider simulator. Time is a ManualClock; only loopback I/O is awaited.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { CHANNEL, messageText, sampleVideo, startSlackBot, TENANT, waitReal, type SlackBot } from '../fakes/slack/harness.js';
import { internalsOf } from '../../src/core/studio-internals.js';

describe('slack over HTTP', () => {
  let s: SlackBot;
  before(async () => {
    s = await startSlackBot({ env: { SLACK_ADMIN_USER_IDS: 'U0LEAD' } });
    s.fake.users.set('U0ADMIN', { id: 'U0ADMIN', name: 'dana', real_name: 'Dana', is_admin: true });
    s.fake.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', real_name: 'Alice' });
    s.fake.users.set('U0BOB', { id: 'U0BOB', name: 'bob', real_name: 'Bob' });
  });
  after(async () => s.stop());

  test('a bad signature or a stale timestamp gets 401 and runs nothing', async () => {
    const form = { command: '/sora', text: 'generate a forged request', team_id: 'T0TEAM', channel_id: CHANNEL, user_id: 'U0ALICE', response_url: s.fake.newResponseUrl() };
    const forged = await s.post(form, { forgeWith: 'not-the-secret' });
    assert.equal(forged.status, 401);
    const stale = await s.post(form, { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 });
    assert.equal(stale.status, 401);
    const unsigned = await fetch(s.eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    assert.equal(unsigned.status, 401);
    // Slack's SSL check comes unsigned and gets an empty 200; nothing else in its body is acted on.
    const sslCheck = await fetch(s.eventsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ ssl_check: '1', ...form }).toString() });
    assert.equal(sslCheck.status, 200);
    assert.equal(await sslCheck.text(), '');
    await s.drive(() => true);
    assert.equal(s.fake.callsTo('chat.postMessage').length, 0);
    assert.equal((await s.jobs()).length, 0);
  });

  test('generate: acked in time, then a parent message, a thread with live status, and the video uploaded into the thread', async () => {
    const before = s.fake.messages.length;
    const { status, ack, ms } = await s.slash('/sora', 'generate a paper boat drifting down a rainy street --seconds 4');
    assert.equal(status, 200);
    assert.equal(ack, undefined, 'generate acks with an empty body and posts publicly afterwards');
    assert.ok(ms < 3000, `ack took ${ms} ms`);

    await s.drive(async () => (await s.jobs())[0]?.state === 'delivered');
    const parent = s.fake.topLevel(CHANNEL).at(-1)!;
    assert.ok(s.fake.messages.indexOf(parent) >= before);
    const parentText = messageText(parent);
    assert.match(parentText, /<@U0ALICE>/);
    assert.match(parentText, /a paper boat drifting down a rainy street/);
    assert.match(parentText, /Estimate/);
    assert.match(parentText, /Budget left this month/);

    const thread = s.fake.thread(CHANNEL, parent.ts);
    const statusMessage = thread[0]!;
    assert.ok(statusMessage.edits >= 2, `status edited ${statusMessage.edits} times`);
    const updates = s.fake.callsTo('chat.update').filter((c) => c.args.ts === statusMessage.ts).map((c) => String(c.args.text));
    assert.ok(updates.some((t) => /Generating|Queued|Sending/i.test(t)), `progress updates: ${updates.join(' | ')}`);
    assert.match(messageText(statusMessage), /Done: \d+s on .+ for \$/);
    assert.match(messageText(statusMessage), /sora_job_remix/);

    // files.uploadV2 as its three calls, into the thread.
    const getUrl = s.fake.callsTo('files.getUploadURLExternal');
    const complete = s.fake.callsTo('files.completeUploadExternal');
    assert.equal(getUrl.length, 1);
    assert.equal(complete.length, 1);
    const upload = [...s.fake.uploads.values()][0]!;
    const [job] = await s.jobs();
    assert.equal(upload.bytes, upload.declaredLength);
    assert.equal(upload.bytes, job!.resultBytes);
    assert.equal(upload.completed?.channel, CHANNEL);
    assert.equal(upload.completed?.threadTs, parent.ts);
    assert.match(upload.completed?.comment ?? '', /\d+s, \d+x\d+, (with sound|silent|no sound track), on .+, \$\d+\.\d\d/);
    assert.equal(job!.state, 'delivered');
    assert.deepEqual(thread.at(-1)!.files, [upload.id]);
  });

  test('a prompt at the 2000-character maximum, full of characters Slack escapes, still fits Block Kit', async () => {
    // The fake refuses blocks Slack refuses (test/fakes/slack/blocks.ts): the parent message passing is the proof.
    const jobsBefore = (await s.jobs()).length;
    const prompt = 'a <paper> & <boat> '.repeat(120).slice(0, 2000);
    const { status } = await s.slash('/sora', `generate ${prompt.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')} --seconds 4`);
    assert.equal(status, 200);
    await s.drive(async () => (await s.jobs()).length > jobsBefore && (await s.jobs()).every((j) => j.state === 'delivered'));
    const parent = s.fake.topLevel(CHANNEL).at(-1)!;
    assert.match(messageText(parent), /a &lt;paper&gt; &amp; &lt;boat&gt;/);
  });

  // The ack is empty and comes first; every answer goes through response_url (src/chat/slack/listeners/slash-command.ts).
  test('a parse error gets the usage, ephemerally, after an empty ack; /sora help shows help', async () => {
    const bad = await s.slash('/sora', 'generate a cat --seconds soon');
    assert.equal(bad.status, 200);
    assert.equal(bad.ack, undefined, 'nothing read before the ack');
    const badAnswer = await s.fake.nextResponseTo(bad.responseUrl);
    assert.equal(badAnswer.response_type, 'ephemeral');
    assert.match(String(badAnswer.text), /--seconds must be a number/);
    // Slack shows `&lt;` as `<`: every `<` and `>` of a message is escaped on the wire, code blocks included.
    assert.match(String(badAnswer.text), /Usage:[\s\S]*\/sora generate &lt;prompt&gt;/);
    const unknown = await s.slash('/sora', 'generat a cat');
    assert.match(String((await s.fake.nextResponseTo(unknown.responseUrl)).text), /no "generat" subcommand[\s\S]*Usage/);
    const help = await s.slash('/sora', 'help');
    const helpAnswer = await s.fake.nextResponseTo(help.responseUrl);
    assert.equal(helpAnswer.response_type, 'ephemeral');
    assert.match(String(helpAnswer.text), /\/sora generate &lt;prompt&gt;/);
    assert.equal(s.fake.responsesTo(bad.responseUrl).length, 1, 'one answer each');
  });

  test('characters from a web link and from a file shared in Slack; a Slack-mangled @mention still names the character', async () => {
    const clip = await sampleVideo();
    s.fake.publicFiles.set('mascot.mp4', { mimetype: 'video/mp4', content: clip });
    // Slack wraps links in <…> when escaping is on.
    const fromUrl = await s.slash('/character', `create mascot --video_url <${s.fake.url}/public/mascot.mp4>`);
    assert.equal(fromUrl.ack, undefined);
    await waitReal(() => s.fake.responsesTo(fromUrl.responseUrl).length > 0, 'character reply');
    assert.match(String(s.fake.responsesTo(fromUrl.responseUrl)[0]!.text), /Created @mascot/);
    assert.deepEqual((await internalsOf(s.tb.bot.studio).characters.get(TENANT, 'mascot'))?.source, { kind: 'url', url: `${s.fake.url}/public/mascot.mp4` });

    const shared = s.fake.shareFile({ name: 'robot.mp4', mimetype: 'video/mp4', content: clip });
    const fromFile = await s.slash('/character', `create <@U0ROBOT|robot> --video <${s.fake.permalink(shared.id)}>`);
    await waitReal(() => s.fake.responsesTo(fromFile.responseUrl).length > 0, 'character reply');
    assert.match(String(s.fake.responsesTo(fromFile.responseUrl)[0]!.text), /Created @robot/);
    const robot = await internalsOf(s.tb.bot.studio).characters.get(TENANT, 'robot');
    assert.equal(robot?.source.kind, 'clip');
    assert.ok(s.fake.callsTo('files.info').some((c) => c.args.file === shared.id && c.token === s.fake.botToken));

    const byId = await s.slash('/character', `create robot_two --video ${shared.id}`);
    await waitReal(() => s.fake.responsesTo(byId.responseUrl).length > 0, 'character reply');
    assert.match(String(s.fake.responsesTo(byId.responseUrl)[0]!.text), /Created @robot_two/);

    const missing = await s.slash('/character', 'create ghost --video F0NOSUCHFILE');
    await waitReal(() => s.fake.responsesTo(missing.responseUrl).length > 0, 'character reply');
    const refusal = s.fake.responsesTo(missing.responseUrl)[0]!;
    assert.equal(refusal.response_type, 'ephemeral');
    assert.match(String(refusal.text), /can't open Slack file F0NOSUCHFILE/);

    const gen = await s.slash('/sora', 'generate <@U0ROBOT|robot> and <@U0MASCOT|mascot> wave at the camera --seconds 4 --backend openai');
    assert.equal(gen.ack, undefined);
    await waitReal(async () => (await s.jobs()).some((j) => j.input.prompt.includes('@robot')), 'job with characters');
    const job = (await s.jobs()).find((j) => j.input.prompt.includes('@robot'))!;
    assert.equal(job.input.prompt, '@robot and @mascot wave at the camera');
    assert.deepEqual([...job.characterKeys].sort(), ['mascot', 'robot']);
    await s.drive(async () => (await internalsOf(s.tb.bot.studio).jobs.get(job.id))?.state === 'delivered');
    // Read the job again: the snapshot above can predate the parent message being attached (a race under load).
    const delivered = (await internalsOf(s.tb.bot.studio).jobs.get(job.id))!;
    assert.ok(delivered.surface.parentTs, 'the parent message is recorded on the job');
    assert.ok([...s.fake.uploads.values()].some((u) => u.filename === `${job.id}.mp4` && u.completed?.threadTs === delivered.surface.parentTs));
  });

  test('/budget set is for workspace admins or configured admins; over budget, generate is refused privately and nothing is posted', async () => {
    const denied = await s.slash('/budget', 'set 0.01', 'U0BOB');
    await waitReal(() => s.fake.responsesTo(denied.responseUrl).length > 0, 'budget reply');
    assert.equal(s.fake.responsesTo(denied.responseUrl)[0]!.text, 'Only admins can use /budget set.', 'the dispatcher\'s one check (test/command-line/dispatch.test.ts)');

    const lead = await s.slash('/budget', 'set 1000', 'U0LEAD');
    await waitReal(() => s.fake.responsesTo(lead.responseUrl).length > 0, 'budget reply');
    assert.match(String(s.fake.responsesTo(lead.responseUrl)[0]!.text), /Budget updated/);

    const admin = await s.slash('/budget', 'set 0.01', 'U0ADMIN');
    await waitReal(() => s.fake.responsesTo(admin.responseUrl).length > 0, 'budget reply');
    assert.match(String(s.fake.responsesTo(admin.responseUrl)[0]!.text), /Budget updated/);

    const postsBefore = s.fake.callsTo('chat.postMessage').length;
    const jobsBefore = (await s.jobs()).length;
    const gen = await s.slash('/sora', 'generate a very expensive sunset --seconds 4', 'U0BOB');
    await waitReal(() => s.fake.responsesTo(gen.responseUrl).length > 0, 'refusal');
    const refusal = s.fake.responsesTo(gen.responseUrl)[0]!;
    assert.equal(refusal.response_type, 'ephemeral');
    assert.match(String(refusal.text), /estimated at \$.*Nothing was spent/);
    assert.doesNotMatch(String(refusal.text), /Error|at .*\.ts:\d+|xoxb/);
    assert.equal(s.fake.callsTo('chat.postMessage').length, postsBefore);
    assert.equal((await s.jobs()).length, jobsBefore);

    const cost = await s.slash('/cost', '');
    await waitReal(() => s.fake.responsesTo(cost.responseUrl).length > 0, 'cost reply');
    const blocks = JSON.stringify(s.fake.responsesTo(cost.responseUrl)[0]!.blocks);
    assert.match(blocks, /"type":"header".*Spend for/);
    assert.match(blocks, /\*Team\*/);
    assert.match(blocks, /By member/);

    const reset = await s.slash('/budget', 'set 1000', 'U0ADMIN');
    await waitReal(() => s.fake.responsesTo(reset.responseUrl).length > 0, 'budget reply');
  });

  test('Cancel: someone else is refused privately, the requester cancels and the thread says so', async () => {
    const gen = await s.slash('/sora', 'generate a long slow pan over mountains --seconds 12', 'U0ALICE');
    assert.equal(gen.ack, undefined);
    await waitReal(async () => (await s.jobs()).some((j) => j.input.prompt.startsWith('a long slow pan') && j.started), 'job started');
    const job = (await s.jobs()).find((j) => j.input.prompt.startsWith('a long slow pan'))!;
    const parentTs = String(job.surface.parentTs);
    const statusTs = String(job.surface.statusTs);
    assert.match(messageText(s.fake.message(CHANNEL, statusTs)), /sora_job_cancel/);

    const ephemeralsBefore = s.fake.ephemerals.length;
    assert.equal(await s.click({ user: 'U0BOB', messageTs: statusTs, threadTs: parentTs, actionId: 'sora_job_cancel', value: job.id }), 200);
    await waitReal(() => s.fake.ephemerals.length > ephemeralsBefore, 'refusal to bob');
    const toBob = s.fake.ephemerals.at(-1)!;
    assert.equal(toBob.user, 'U0BOB');
    assert.equal(toBob.thread_ts, parentTs);
    assert.match(String(toBob.text), /Only Alice or an admin can cancel/);
    assert.notEqual((await internalsOf(s.tb.bot.studio).jobs.get(job.id))?.state, 'cancelled');

    await s.click({ user: 'U0ALICE', messageTs: statusTs, threadTs: parentTs, actionId: 'sora_job_cancel', value: job.id });
    await waitReal(async () => (await internalsOf(s.tb.bot.studio).jobs.get(job.id))?.state === 'cancelled', 'cancelled job');
    await waitReal(() => /Cancelled by Alice/.test(messageText(s.fake.message(CHANNEL, statusTs))), 'status shows the cancel');
    assert.match(messageText(s.fake.message(CHANNEL, statusTs)), /sora_job_retry/);
    await s.drive(() => true, 50);
    assert.ok(![...s.fake.uploads.values()].some((u) => u.filename === `${job.id}.mp4`), 'a cancelled job uploads nothing');
  });
});

describe('slack --image', () => {
  // A 1×1 PNG: the smallest real image.
  const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
  let s: SlackBot;
  before(async () => {
    // One job at a time on a backend, so the image job can be held in the queue across a restart.
    s = await startSlackBot({ env: { BACKEND_CONCURRENCY: '1' } });
    s.fake.users.set('U0ALICE', { id: 'U0ALICE', name: 'alice', real_name: 'Alice' });
  });
  after(async () => s.stop());

  test('a shared image is kept by its job until it is submitted, across a restart, and the video is delivered', async () => {
    const shared = s.fake.shareFile({ name: 'boat.png', mimetype: 'image/png', content: PNG });
    // The first job holds the only openai slot, so the image job waits in the queue.
    await s.slash('/sora', 'generate a slow sunrise over the sea --seconds 12 --backend openai');
    await waitReal(async () => (await s.jobs()).some((j) => j.started), 'first job started');
    const gen = await s.slash('/sora', `generate this paper boat sets sail --seconds 4 --backend openai --image <${s.fake.permalink(shared.id)}>`);
    assert.equal(gen.ack, undefined);
    await waitReal(async () => (await s.jobs()).some((j) => j.input.prompt.includes('paper boat') && j.started), 'image job accepted');
    const queued = (await s.jobs()).find((j) => j.input.prompt.includes('paper boat'))!;
    assert.equal(queued.state, 'queued');
    const image = queued.input.imagePath!;
    assert.ok(image.startsWith(`${s.tb.dataDir}/images/`), `the job owns a copy under DATA_DIR: ${image}`);
    assert.deepEqual(await readFile(image), PNG);
    assert.ok((await s.tb.bot.studio.filesInUse([TENANT])).has(image), 'the sweep must keep it');

    // The command has long returned (its hand-over download is gone); restart before the job is submitted.
    s = await s.restart();
    await s.drive(async () => (await internalsOf(s.tb.bot.studio).jobs.get(queued.id))?.state === 'delivered');
    const delivered = (await internalsOf(s.tb.bot.studio).jobs.get(queued.id))!;
    const simJob = s.tb.sim.jobs.get(delivered.providerJobId!);
    assert.equal(simJob?.hasInputReference, true, 'the provider received the image');
    assert.ok([...s.fake.uploads.values()].some((u) => u.filename === `${queued.id}.mp4` && u.completed?.threadTs === delivered.surface.parentTs));
    assert.ok(!(await s.tb.bot.studio.filesInUse([TENANT])).has(image), 'once the job has ended, the sweep may remove its image');
  });
});
