/**
 * End to end on Discord: the real bot wiring (`startBot`) with the real
 * discord.js client, against the fake Discord (REST + gateway) and the
 * provider simulator, on an injected clock. No module of ours is mocked.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applicationCommandsPayload, commandPayload } from '../../src/chat/discord/registration.js';
import { registerCommands } from '../../src/chat/discord/register.js';
import { STATUS_EDIT_GAP_MS } from '../../src/chat/discord/surface.js';
import { WITHDRAWN_PLACEHOLDER } from '../../src/chat/discord/http-interactions.js';
import { ManualClock } from '../../src/core/clock.js';
import { SAMPLE_CLIP_PATH } from '../../src/simulator/render.js';
import { ADMIN_PERMISSIONS, FakeDiscord, snowflake, type FakeInteraction, type FakeUser, type InteractionTarget } from '../fakes/discord/fake-discord.js';
import { advanceFor, driveUntil } from '../helpers/drive.js';
import { alice, GUILD, harness, int, str, target, until, videosIn, type Harness } from '../fakes/discord/harness.js';
import { LogCapture } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import { monthOf } from '../../src/core/ledger.js';
import { formatUsd } from '../../src/core/money.js';

const SNAPSHOT = fileURLToPath(new URL('./__snapshots__/discord-registration.json', import.meta.url));
const OTHER_GUILD = '900000000000000002';
const bob: FakeUser = { id: '800000000000000002', username: 'bob' };
const admin: FakeUser = { id: '800000000000000003', username: 'ada' };

const answered = (i: FakeInteraction, fake: FakeDiscord) => () => fake.interactions.get(i.id)!.callback !== undefined;
const callbackOf = (i: FakeInteraction, fake: FakeDiscord) => fake.interactions.get(i.id)!.callback!;
const originalOf = (i: FakeInteraction, fake: FakeDiscord) => fake.messages.get(fake.interactions.get(i.id)!.originalMessageId!)!;
/** The deferred reply has been filled in. */
const filled = (i: FakeInteraction, fake: FakeDiscord) => () => {
  const id = fake.interactions.get(i.id)!.originalMessageId;
  const m = id ? fake.messages.get(id) : undefined;
  return m !== undefined && (m.embeds.length > 0 || m.content !== '');
};

/** Starts a generation and waits until its thread and status message exist. */
async function generate(h: Harness, channelId: string, user: FakeUser, prompt: string, extra: Partial<InteractionTarget> = {}) {
  const i = h.fake.command(target(channelId, user, extra), 'sora', 'generate', [str('prompt', prompt), int('seconds', 4)]);
  await until(() => h.fake.threadsFrom(channelId).some((t) => t.fromMessageId === h.fake.interactions.get(i.id)!.originalMessageId) && h.fake.messagesIn(h.fake.interactions.get(i.id)!.originalMessageId!).length > 0, 'thread and status message');
  const threadId = h.fake.interactions.get(i.id)!.originalMessageId!;
  const status = h.fake.messagesIn(threadId)[0]!;
  const jobId = /job:cancel:(j_[0-9a-z]+)/.exec(JSON.stringify(status.components))![1]!;
  await until(() => internalsOf(h.bot.studio).jobs !== undefined, 'job');
  return { interaction: i, threadId, statusId: status.id, jobId };
}

describe('Discord adapter, end to end', { concurrency: false }, () => {
  let h: Harness;
  let channel: string;
  before(async () => {
    h = await harness({ msPerVideoSecond: 10_000 });
    channel = h.fake.addChannel(GUILD).id;
  });
  after(async () => h.close());

  test('1 generate: defer within the deadline, thread, throttled progress edits, the video attached', async () => {
    const { fake, clock } = h;
    const { interaction, threadId, statusId, jobId } = await generate(h, channel, alice, 'a paper boat drifting down a rainy street');
    const cb = callbackOf(interaction, fake);
    assert.equal(cb.type, 5, 'public defer');
    assert.ok(cb.realAt - fake.interactions.get(interaction.id)!.realCreatedAt < 3_000, 'acknowledged within 3 s');
    const first = fake.calls.find((c) => c.realAt >= fake.interactions.get(interaction.id)!.realCreatedAt && c.path.startsWith('/api/v10/') && !c.path.includes('gateway'));
    assert.match(first!.path, /\/callback$/, 'no REST call before the acknowledgement');
    assert.match(originalOf(interaction, fake).content, /estimated \$0\.40/);
    assert.ok(fake.channels.get(threadId)!.parent_id === channel);

    // 25 ms of real time per clock second: a busy machine must not see the clock outrun the job's real HTTP.
    await driveUntil(clock, () => videosIn(fake, threadId).length > 0, { stepMs: 1_000, maxSteps: 400, realWaitMs: 25 });
    const edits = fake.callsFor(`/channels/${threadId}/messages/${statusId}`).filter((c) => c.method === 'PATCH');
    const progress = edits.filter((c) => /%/.test(String((c.json as { content?: string }).content)) && !/done/.test(String((c.json as { content?: string }).content)));
    assert.ok(progress.length >= 2, `progress edits: ${progress.length}`);
    for (let k = 1; k < progress.length; k++) assert.ok(progress[k]!.at - progress[k - 1]!.at >= STATUS_EDIT_GAP_MS, 'status edits are spaced');
    const [video] = videosIn(fake, threadId);
    assert.equal(video!.via, 'bot');
    assert.equal(video!.attachments[0]!.name, `${jobId}.mp4`);
    assert.match(video!.content, new RegExp(`<@${alice.id}> your video is ready`));
    assert.match(video!.content, /paper boat/);
    // With the size ffprobe read from the file and the sound: openai makes 720p with sound.
    assert.match(video!.content, /openai · 4s · 1280x720, with sound · \$0\.40/);
    await driveUntil(clock, () => /done/.test(fake.messages.get(statusId)!.content), { stepMs: 100, maxSteps: 50 });
    assert.match(JSON.stringify(fake.messages.get(statusId)!.components), /job:remix:/);
    await driveUntil(clock, async () => (await internalsOf(h.bot.studio).jobs.get(jobId))?.state === 'delivered', { stepMs: 100, maxSteps: 50 });
  });

  test('1a a prompt at the option\'s 2000-character maximum: reply, thread, status and video stay inside Discord\'s limits', async () => {
    // The fake refuses what Discord refuses (test/fakes/discord/bodies.ts), so each post below passing is the proof.
    const { fake, clock } = h;
    const prompt = `a paper boat ${'drifting down a rainy street, '.repeat(80)}`.slice(0, 2000);
    const { interaction, threadId, statusId, jobId } = await generate(h, channel, alice, prompt);
    const reply = fake.messages.get(fake.interactions.get(interaction.id)!.originalMessageId!)!;
    assert.match(reply.content, /accepted/);
    assert.ok(fake.channels.get(threadId)!.name.length <= 100);
    await driveUntil(clock, async () => (await internalsOf(h.bot.studio).jobs.get(jobId))?.state === 'delivered', { stepMs: 500, maxSteps: 200 });
    const video = fake.messagesIn(threadId).find((m) => m.attachments.some((a) => a.name.endsWith('.mp4')));
    assert.ok(video && video.content.length <= 2000, 'the video was posted');
    assert.match(fake.messages.get(statusId)!.content, /done/);
  });

  test('2 character create from an attachment and from a URL', async () => {
    const { fake } = h;
    const clip = await readFile(SAMPLE_CLIP_PATH);
    const att = fake.attachment('mascot.mp4', clip, 'video/mp4');
    const a = fake.command(target(channel, alice), 'character', 'create', [str('name', 'mascot'), { name: 'video', type: 11, value: att.id }, str('description', 'a round orange robot')], {
      attachments: { [att.id]: att },
    });
    await until(filled(a, fake), 'character reply');
    assert.equal(callbackOf(a, fake).type, 5);
    assert.equal((callbackOf(a, fake).data?.flags as number) & 64, 64, 'ephemeral defer');
    assert.match(JSON.stringify(originalOf(a, fake).embeds), /Created @mascot/);

    const url = fake.attachment('robot.mp4', clip, 'video/mp4').url;
    const b = fake.command(target(channel, alice), 'character', 'create', [str('name', 'robot'), str('video_url', url)]);
    await until(filled(b, fake), 'url character reply');
    assert.match(JSON.stringify(originalOf(b, fake).embeds), /Created @robot/);
    const chars = await h.bot.studio.listCharacters({ tenant: `discord:${GUILD}`, userId: alice.id, displayName: 'alice', isAdmin: false });
    assert.deepEqual(chars.map((c) => [c.name, c.source.kind]), [['mascot', 'clip'], ['robot', 'url']]);
  });

  test('2a each character keeps one clip; a refused create keeps none of its attachment', async () => {
    const { fake } = h;
    const filesUnder = async (folder: string) =>
      (await readdir(path.join(h.dataDir, folder), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
    assert.equal(await filesUnder('characters'), 2, 'mascot and robot from test 2: one clip each, no hand-over copy');
    assert.equal(await filesUnder('tmp'), 0);
    const att = fake.attachment('again.mp4', await readFile(SAMPLE_CLIP_PATH), 'video/mp4');
    const dup = fake.command(target(channel, alice), 'character', 'create', [str('name', 'mascot'), { name: 'video', type: 11, value: att.id }], {
      attachments: { [att.id]: att },
    });
    await until(filled(dup, fake), 'refusal');
    assert.match(originalOf(dup, fake).content, /already has a character called @mascot/);
    assert.equal(await filesUnder('characters'), 2, 'the refused attachment is not kept');
    assert.equal(await filesUnder('tmp'), 0, 'nor left as a hand-over file');
  });

  test("3 autocomplete offers this server's characters only", async () => {
    const { fake } = h;
    const other = fake.addChannel(OTHER_GUILD).id;
    const url = fake.attachment('rival.mp4', await readFile(SAMPLE_CLIP_PATH), 'video/mp4').url;
    const c = fake.command({ guildId: OTHER_GUILD, channelId: other, user: bob }, 'character', 'create', [str('name', 'rival'), str('video_url', url)]);
    await until(filled(c, fake), 'rival created');

    const names = async (guildId: string, channelId: string, sub: string, options: Parameters<FakeDiscord['autocomplete']>[3]) => {
      const i = fake.autocomplete({ guildId, channelId, user: alice }, sub === 'generate' ? 'sora' : 'character', sub, options);
      await until(answered(i, fake), 'autocomplete answer');
      assert.equal(callbackOf(i, fake).type, 8);
      return (callbackOf(i, fake).data!.choices as { value: string }[]).map((x) => x.value);
    };
    assert.deepEqual(await names(GUILD, channel, 'show', [{ ...str('name', ''), focused: true }]), ['mascot', 'robot']);
    assert.deepEqual(await names(GUILD, channel, 'show', [{ ...str('name', 'ri'), focused: true }]), [], 'no other server');
    assert.deepEqual(await names(GUILD, channel, 'generate', [{ ...str('prompt', 'a walk with @ma'), focused: true }]), ['a walk with @mascot ']);
    assert.deepEqual(await names(OTHER_GUILD, other, 'show', [{ ...str('name', ''), focused: true }]), ['rival']);
  });

  test('4 budget: admin-only set, and a generation over the cap is refused privately', async () => {
    const { fake } = h;
    const refused = fake.command(target(channel, bob), 'budget', 'set', [{ name: 'amount', type: 10, value: 0.5 }]);
    await until(answered(refused, fake), 'refusal');
    assert.equal(callbackOf(refused, fake).type, 4);
    assert.equal((callbackOf(refused, fake).data!.flags as number) & 64, 64);
    assert.equal(callbackOf(refused, fake).data!.content, 'Only members with the Manage Server permission can use /budget set.', 'the dispatcher\'s one check (test/command-line/dispatch.test.ts)');

    const set = fake.command(target(channel, admin, { memberPermissions: ADMIN_PERMISSIONS }), 'budget', 'set', [{ name: 'amount', type: 10, value: 0.5 }]);
    await until(answered(set, fake), 'budget set');
    assert.match(JSON.stringify(callbackOf(set, fake).data!.embeds), /Budget updated/);

    const threadsBefore = fake.threadsFrom(channel).length;
    const big = fake.command(target(channel, bob), 'sora', 'generate', [str('prompt', 'a long sweeping drone shot of mountains'), int('seconds', 8)]);
    await until(answered(big, fake), 'budget refusal');
    const cb = callbackOf(big, fake);
    assert.equal(cb.type, 4, 'refused before deferring, so the refusal can be private');
    assert.equal((cb.data!.flags as number) & 64, 64);
    assert.match(String(cb.data!.content), /estimated at \$0\.80.*left of the team's \$0\.50 monthly cap/s);
    assert.equal(fake.threadsFrom(channel).length, threadsBefore, 'no thread for a refused job');
    const reset = fake.command(target(channel, admin, { memberPermissions: ADMIN_PERMISSIONS }), 'budget', 'set', [{ name: 'amount', type: 10, value: 50 }]);
    await until(answered(reset, fake), 'budget reset');
  });

  test('4a answered before accepting, then refused (another replica spent the rest): the public placeholder goes, the refusal is private', async () => {
    const { fake } = h;
    const tenant = `discord:${GUILD}`;
    const month = monthOf(h.clock.now());
    // $1.00 of room above what the earlier tests used this month.
    const total = (await internalsOf(h.bot.studio).ledger.summary(tenant, month)).total;
    const cap = total.spentMicros + total.reservedMicros + 1_000_000;
    const set = fake.command(target(channel, admin, { memberPermissions: ADMIN_PERMISSIONS }), 'budget', 'set', [{ name: 'amount', type: 10, value: cap / 1_000_000 }]);
    await until(answered(set, fake), 'budget set');
    try {
      // The forecast learns what is used from this acceptance ($0.40 of the $1.00)...
      await generate(h, channel, alice, 'a lighthouse in fog');
      // ...and does not see what a second replica reserves on the same tables right after ($0.50).
      const elsewhere = await internalsOf(h.bot.studio).ledger.reserve({ tenant, userId: admin.id, userName: 'ada', jobId: 'j_elsewhere', month, micros: 500_000, caps: { tenantCapMicros: 100_000_000, userCapMicros: 100_000_000 } });
      assert.equal(elsewhere.ok, true);
      const threadsBefore = fake.threadsFrom(channel).length;

      const late = fake.command(target(channel, bob), 'sora', 'generate', [str('prompt', 'a lighthouse at noon'), int('seconds', 4)]);
      const privateRefusal = () => fake.messagesIn(channel).find((m) => m.interactionId === late.id && (m.flags & 64) === 64);
      await until(() => privateRefusal() !== undefined, 'the private refusal');
      assert.equal(callbackOf(late, fake).type, 5, 'the forecast saw room: answered publicly first');
      assert.match(privateRefusal()!.content, new RegExp(`estimated at \\$0\\.40.*left of the team's \\$${formatUsd(cap).slice(1).replace('.', '\\.')} monthly cap`, 's'));
      await until(() => fake.messagesIn(channel).every((m) => m.interactionId !== late.id || (m.flags & 64) === 64), 'the public placeholder removed');
      // Right after the defer a follow-up would have filled the public placeholder (the fake does as Discord does):
      // the public message only ever showed the neutral mark.
      const publicOnes = [...fake.messages.values()].filter((m) => m.interactionId === late.id && (m.flags & 64) === 0);
      assert.deepEqual(publicOnes.map((m) => [m.content, m.deleted]), [[WITHDRAWN_PLACEHOLDER, true]]);
      assert.equal(fake.threadsFrom(channel).length, threadsBefore, 'no thread for a refused job');
    } finally {
      await internalsOf(h.bot.studio).ledger.release(tenant, month, 'j_elsewhere');
      const reset = fake.command(target(channel, admin, { memberPermissions: ADMIN_PERMISSIONS }), 'budget', 'set', [{ name: 'amount', type: 10, value: 50 }]);
      await until(answered(reset, fake), 'budget reset');
    }
  });

  test('5 cancel button: refused for another member, honoured for the owner', async () => {
    const { fake } = h;
    const { threadId, statusId, jobId } = await generate(h, channel, alice, 'a cat chasing a laser pointer');
    const byBob = fake.button(target(threadId, bob), statusId, `job:cancel:${jobId}`);
    await until(answered(byBob, fake), 'bob answer');
    assert.equal((callbackOf(byBob, fake).data!.flags as number) & 64, 64);
    assert.match(String(callbackOf(byBob, fake).data!.content), /Only alice or an admin can cancel/);
    assert.notEqual((await internalsOf(h.bot.studio).jobs.get(jobId))!.state, 'cancelled');

    const byAlice = fake.button(target(threadId, alice), statusId, `job:cancel:${jobId}`);
    await until(answered(byAlice, fake), 'alice answer');
    assert.match(String(callbackOf(byAlice, fake).data!.content), /Cancelled job/);
    await until(() => /cancelled by alice/.test(fake.messages.get(statusId)!.content), 'status shows the cancellation');
    assert.equal((await internalsOf(h.bot.studio).jobs.get(jobId))!.state, 'cancelled');
    await advanceFor(h.clock, 100_000, { stepMs: 5_000 });
    assert.equal(videosIn(fake, threadId).length, 0, 'a cancelled job posts no video');
  });

  test('5b forged buttons: a member of another server naming this server’s job by custom id changes nothing', async () => {
    const { fake } = h;
    const { jobId, statusId } = await generate(h, channel, alice, 'a heron standing in a pond');
    const elsewhere = fake.addChannel(OTHER_GUILD).id;
    // An admin over there, with the same user id as the requester: still another tenant.
    for (const customId of [`job:cancel:${jobId}`, `job:retry:${jobId}`, `job:remix:${jobId}`]) {
      const forged = fake.button({ guildId: OTHER_GUILD, channelId: elsewhere, user: alice, memberPermissions: ADMIN_PERMISSIONS }, statusId, customId);
      await until(answered(forged, fake), `answer to ${customId}`);
      const cb = callbackOf(forged, fake);
      assert.notEqual(cb.type, 9, `${customId} must not open a modal for another server's job`);
      assert.match(String(cb.data?.content ?? ''), /no job/i, `${customId}: ${JSON.stringify(cb.data)}`);
    }
    const job = (await internalsOf(h.bot.studio).jobs.get(jobId))!;
    assert.notEqual(job.state, 'cancelled');
    assert.equal((await h.bot.studio.recentJobs({ tenant: `discord:${OTHER_GUILD}`, userId: alice.id, displayName: 'alice', isAdmin: true })).length, 0);
  });

  test('6 oversize video: re-encoded to fit, or linked with a note when it cannot fit', async () => {
    const { fake, clock } = h;
    // The simulated clip is 720p with a sound track (about 130 KiB for 4 s): 110 KiB leaves room for the audio at 64 kbit/s.
    const fit = await generate(h, channel, alice, 'waves rolling on a pebble beach', { attachmentSizeLimit: 110 * 1024 });
    const link = await generate(h, channel, alice, 'a lighthouse blinking at night', { attachmentSizeLimit: 30 * 1024 });
    const delivered = (threadId: string) => fake.messagesIn(threadId).some((m) => /your video is ready/.test(m.content));
    await driveUntil(clock, () => delivered(fit.threadId) && delivered(link.threadId), { stepMs: 1_000, maxSteps: 400, realWaitMs: 10 });
    const [small] = videosIn(fake, fit.threadId);
    assert.ok(small, 'attached after re-encoding');
    assert.ok(small.attachments[0]!.size <= 110 * 1024, `fits: ${small.attachments[0]!.size}`);
    assert.match(small.content, /Re-encoded from/);
    const linked = fake.messagesIn(link.threadId).find((m) => /your video is ready/.test(m.content))!;
    assert.equal(linked.attachments.length, 0);
    assert.match(linked.content, /over this server's 0\.0 MiB upload limit/);
    const url = /http:\/\/127\.0\.0\.1:9(\/files\/\S+)/.exec(linked.content)![1]!;
    const res = await fetch(`http://127.0.0.1:${h.bot.port}${url}`);
    assert.equal(res.status, 200, 'the signed link serves the video');
    assert.equal(res.headers.get('content-type'), 'video/mp4');
  });
});

describe('Discord adapter across token expiry and restarts', { concurrency: false }, () => {
  test('7 a job that outlives the 15-minute token is still delivered in the thread with the bot token', async () => {
    // 300 s of clock per video second: a 4 s video takes 20 minutes.
    const h = await harness({ msPerVideoSecond: 300_000 });
    try {
      const channel = h.fake.addChannel(GUILD).id;
      const { interaction, threadId } = await generate(h, channel, alice, 'a slow sunrise over a city');
      const created = h.fake.interactions.get(interaction.id)!.createdAt;
      await driveUntil(h.clock, () => videosIn(h.fake, threadId).length > 0, { stepMs: 5_000, maxSteps: 600 });
      assert.ok(h.clock.now() - created > 15 * 60_000, 'the job outlived the token');
      const [video] = videosIn(h.fake, threadId);
      const post = h.fake.calls.find((c) => c.method === 'POST' && c.path === `/api/v10/channels/${threadId}/messages` && c.files.length > 0)!;
      assert.match(post.auth!, /^Bot /, 'posted with the bot token');
      assert.equal(video!.via, 'bot');
      const late = h.fake.calls.filter((c) => c.path.includes(interaction.token) && c.at - created > 15 * 60_000);
      assert.deepEqual(late.map((c) => c.status), [], 'the expired token is not used');
    } finally {
      await h.close();
    }
  });

  test('7b a token Discord rejects early (10062/10015) does not stop delivery', async () => {
    const h = await harness({ msPerVideoSecond: 60_000, tokenLifetimeMs: 2 * 60_000 });
    try {
      const channel = h.fake.addChannel(GUILD).id;
      const { interaction, threadId } = await generate(h, channel, alice, 'rain on a window');
      await driveUntil(h.clock, () => videosIn(h.fake, threadId).length > 0, { stepMs: 2_000, maxSteps: 600, realWaitMs: 25 });
      await driveUntil(h.clock, () => h.fake.calls.some((c) => c.path.includes(interaction.token) && c.status === 404), { stepMs: 100, maxSteps: 100, realWaitMs: 25 });
      assert.equal(videosIn(h.fake, threadId).length, 1);
    } finally {
      await h.close();
    }
  });

  test('8 restart mid-job: a new client over the same store delivers exactly once', async () => {
    const h = await harness({ msPerVideoSecond: 30_000 });
    try {
      const channel = h.fake.addChannel(GUILD).id;
      const { threadId, statusId, jobId } = await generate(h, channel, alice, 'a kite over a windy hill');
      await driveUntil(h.clock, async () => (await internalsOf(h.bot.studio).jobs.get(jobId))?.state === 'running', { stepMs: 1_000, maxSteps: 200 });
      await h.bot.stop();
      assert.equal(h.fake.identifies, 1);
      await h.start();
      assert.equal(h.fake.identifies, 2, 'a new gateway session');
      await driveUntil(h.clock, async () => (await internalsOf(h.bot.studio).jobs.get(jobId))?.state === 'delivered', { stepMs: 2_000, maxSteps: 400 });
      await advanceFor(h.clock, 50_000, { stepMs: 5_000 });
      assert.equal(videosIn(h.fake, threadId).length, 1, 'delivered exactly once');
      await driveUntil(h.clock, () => /done/.test(h.fake.messages.get(statusId)!.content), { stepMs: 100, maxSteps: 50 });
      // The core may repeat `finished` after a crash: the surface finds the delivery instead of posting again.
      const job = (await internalsOf(h.bot.studio).jobs.get(jobId))!;
      // Past Discord's nonce window, so only the surface's own look-up can prevent a second post.
      await h.clock.advance(10 * 60_000, 60_000);
      const surface = internalsOf(h.bot.studio).runner.surfaces.get('discord')!;
      const { deliveryMessageId: _ignored, ...withoutDelivery } = job.surface as Record<string, unknown>;
      await surface.update({ ...job, surface: withoutDelivery as typeof job.surface }, { type: 'finished', path: job.resultPath!, bytes: job.resultBytes! });
      assert.equal(videosIn(h.fake, threadId).length, 1, 'a repeated finished event is harmless');
    } finally {
      await h.close();
    }
  });
});

describe('Discord registration', () => {
  test('9 the payload equals the reviewed snapshot, and `npm run register` is idempotent', async () => {
    const payload = applicationCommandsPayload();
    if (process.env.UPDATE_SNAPSHOTS === '1') await writeFile(SNAPSHOT, `${JSON.stringify(payload, null, 2)}\n`);
    assert.deepEqual(JSON.parse(JSON.stringify(payload)), JSON.parse(await readFile(SNAPSHOT, 'utf8')));
    // Only a command that is admin-only as a whole can carry default_member_permissions.
    const adminOnly = commandPayload({ name: 'admin', description: { en: 'x', ko: 'x' }, permission: 'admin', spendsMoney: false, examples: [], options: [] });
    assert.equal(adminOnly.default_member_permissions, '32');

    const clock = new ManualClock();
    const fake = new FakeDiscord({ clock });
    await fake.start();
    try {
      const env = { DISCORD_TOKEN: 'discord-bot-token-test', DISCORD_APPLICATION_ID: fake.applicationId, DISCORD_GUILD_ID: GUILD, DISCORD_API_URL: fake.apiUrl };
      const lines: string[] = [];
      const first = await registerCommands(env, (l) => lines.push(l));
      assert.equal(first.changed, true);
      assert.ok(lines.includes('+ /sora (new)'));
      const second = await registerCommands(env, () => undefined);
      assert.equal(second.changed, false, 'nothing to change the second time');
      assert.equal(fake.callsFor('/commands').filter((c) => c.method === 'PUT').length, 1);
      void snowflake;
    } finally {
      await fake.stop();
    }
  });
});

describe('Discord: a job is seen only where it was made', { concurrency: false }, () => {
  const VIEW = String(1n << 10n);
  const carol: FakeUser = { id: '800000000000000004', username: 'carol' };
  let h: Harness;
  let logs: LogCapture;
  let open: string;
  let secret: string;
  let secretRole: string;
  let secretJob: string;
  const content = (i: FakeInteraction) => {
    const cb = callbackOf(i, h.fake);
    const original = cb.type === 5 ? originalOf(i, h.fake) : undefined;
    return JSON.stringify(original ? { content: original.content, embeds: original.embeds } : cb.data ?? {});
  };
  const jobsWithPrompt = async (text: string) => (await internalsOf(h.bot.studio).jobs.recent(`discord:${GUILD}`)).filter((j) => j.input.prompt.includes(text));

  before(async () => {
    logs = new LogCapture();
    h = await harness({ msPerVideoSecond: 1_000, logs });
    open = h.fake.addChannel(GUILD).id;
    secretRole = h.fake.addRole(GUILD, 'board');
    // A private channel: @everyone may not view it, the board role may.
    secret = h.fake.addChannel(GUILD, 0, [
      { id: GUILD, type: 0, allow: '0', deny: VIEW },
      { id: secretRole, type: 0, allow: VIEW, deny: '0' },
    ]).id;
    const made = await generate(h, secret, alice, 'SECRET merger plan with the rival studio', { roles: [secretRole] });
    secretJob = made.jobId;
    await driveUntil(h.clock, async () => (await internalsOf(h.bot.studio).jobs.get(secretJob))?.state === 'delivered', { stepMs: 1_000, maxSteps: 400 });
  });
  after(async () => h.close());

  test('10 outside the private channel: status (list and by id), --from_job, remix, retry, the remix button and autocomplete all find nothing', async () => {
    const { fake } = h;
    const asBob = (sub: string, options: { name: string; type: number; value: string | number }[], command = 'sora') => fake.command(target(open, bob), command, sub, options);

    const list = asBob('status', []);
    await until(answered(list, fake), 'status list');
    assert.doesNotMatch(content(list), /SECRET|merger/, 'the list does not show the private prompt');

    const byId = asBob('status', [str('job', secretJob)]);
    await until(answered(byId, fake), 'status by id');
    assert.match(content(byId), /no job/i);
    assert.doesNotMatch(content(byId), /SECRET/);

    const extract = asBob('create', [str('name', 'stolen'), str('from_job', secretJob)], 'character');
    await until(filled(extract, fake), 'from_job refusal');
    assert.match(content(extract), /no job/i);
    assert.equal(await internalsOf(h.bot.studio).characters.get(`discord:${GUILD}`, 'stolen'), undefined, 'no character was taken from the private video');

    const remix = asBob('remix', [str('job', secretJob), str('prompt', 'the same plan, in public')]);
    await until(answered(remix, fake), 'remix refusal');
    assert.match(content(remix), /no job/i);

    for (const customId of [`job:retry:${secretJob}`, `job:remix:${secretJob}`]) {
      const click = fake.button(target(open, bob), fake.messagesIn(open)[0]?.id ?? [...fake.messages.keys()][0]!, customId);
      await until(answered(click, fake), customId);
      assert.notEqual(callbackOf(click, fake).type, 9, `${customId} must not open the remix form`);
      assert.match(content(click), /no job/i, customId);
    }

    const typed = fake.autocomplete(target(open, bob), 'sora', 'status', [{ ...str('job', ''), focused: true }]);
    await until(answered(typed, fake), 'autocomplete');
    const choices = (callbackOf(typed, fake).data!.choices as { value: string; name: string }[]);
    assert.ok(!choices.some((c) => c.value === secretJob || /SECRET/.test(c.name)), JSON.stringify(choices));

    assert.equal((await jobsWithPrompt('SECRET')).length, 1, 'no remix or retry of the private job was made');
    assert.equal((await jobsWithPrompt('in public')).length, 0);
  });

  test('11 a member who may view the private channel (by role or by a member overwrite) sees its job from another channel', async () => {
    const { fake } = h;
    const fromOpen = fake.command(target(open, alice, { roles: [secretRole] }), 'sora', 'status', [str('job', secretJob)]);
    await until(answered(fromOpen, fake), 'status by a board member');
    assert.match(content(fromOpen), /SECRET merger plan/);

    // Carol is let in by a member overwrite, not a role.
    fake.channels.get(secret)!.permission_overwrites.push({ id: carol.id, type: 1, allow: VIEW, deny: '0' });
    await h.clock.advance(61_000); // past the minute the channel's overwrites are cached
    const byCarol = fake.command(target(open, carol), 'sora', 'status', []);
    await until(answered(byCarol, fake), 'status list by carol');
    assert.match(content(byCarol), /SECRET merger plan/);
  });

  test('12 an interaction delivered twice starts one job', async () => {
    const { fake } = h;
    const { interaction } = await generate(h, open, alice, 'a replayed request for a lighthouse');
    fake.redeliver(interaction);
    // Either the guard drops the copy, or the copy is handled and tries to answer (Discord: 40060).
    await until(
      () => /interaction delivered again/.test(logs.text) || fake.calls.some((c) => c.path.includes(`/interactions/${interaction.id}/`) && c.status === 400),
      'the copy to be handled',
    );
    assert.equal((await jobsWithPrompt('replayed request for a lighthouse')).length, 1, 'one job for one interaction');
  });
});
