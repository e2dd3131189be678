/**
 * A lone admin approves their own video on Discord: the real bot with the real
 * discord.js client against the fake Discord, which serves List Guild Members
 * as https://discord.com/developers/docs/resources/guild#list-guild-members
 * does (pages of up to 1000 after the last id; 403 "Missing Access" 50001
 * without the GUILD_MEMBERS privileged intent), on a ManualClock. The server's
 * owner is its only admin (a bot with Administrator does not count): her own
 * Approve delivers her video. With a second member holding a Manage Server role
 * the same click is refused with the sentence; with the intent off it is
 * refused too, saying what to do.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { internalsOf } from '../../src/core/studio-internals.js';
import { ADMIN_PERMISSIONS, type FakeInteraction, type FakeUser } from '../fakes/discord/fake-discord.js';
import { GUILD, harness, int, str, target, until, videosIn, type Harness } from '../fakes/discord/harness.js';
import { driveUntil, waitFor } from '../helpers/drive.js';

const ada: FakeUser = { id: '800000000000000003', username: 'ada' };
const eve: FakeUser = { id: '800000000000000004', username: 'eve' };
const asAdmin = { memberPermissions: ADMIN_PERMISSIONS };
const WAIT_MS = 60_000;
const MANAGE_GUILD = String(1n << 5n);
const ADMINISTRATOR = String(1n << 3n);

describe('discord: a lone admin may approve their own video', { concurrency: false }, () => {
  let h: Harness;
  let channel: string;
  const job = async (id: string) => (await internalsOf(h.bot.studio).jobs.get(id))!;
  const answer = async (i: FakeInteraction) => {
    const text = () => h.fake.messages.get(h.fake.interactions.get(i.id)!.originalMessageId ?? '')?.content ?? '';
    await until(() => text() !== '', 'the answer to a click', WAIT_MS);
    return text();
  };

  /** A 4-second openai video ($0.40, above the $0.20 threshold) by ada: its thread, status message and job id once it waits. */
  async function adasVideo(words: string) {
    const i = h.fake.command(target(channel, ada, asAdmin), 'sora', 'generate', [str('prompt', words), int('seconds', 4)]);
    const thread = () => h.fake.interactions.get(i.id)!.originalMessageId;
    const status = () => (thread() ? h.fake.messagesIn(thread()!)[0] : undefined);
    await until(() => /job:approve:/.test(JSON.stringify(status()?.components ?? [])), 'the Approve button in the thread', WAIT_MS);
    const jobId = /job:approve:(j_[0-9a-z]+)/.exec(JSON.stringify(status()!.components))![1]!;
    return { threadId: thread()!, statusId: status()!.id, jobId };
  }
  const approveOwn = (v: { threadId: string; statusId: string; jobId: string }) => answer(h.fake.button(target(v.threadId, ada, asAdmin), v.statusId, `job:approve:${v.jobId}`));

  before(async () => {
    h = await harness({ msPerVideoSecond: 1_000, render: { ffmpegPath: false } });
    channel = h.fake.addChannel(GUILD).id;
    const guild = h.fake.guild(GUILD);
    guild.owner_id = ada.id;
    guild.membersIntent = true;
    const bots = h.fake.addRole(GUILD, 'bots', ADMINISTRATOR);
    h.fake.addMember(GUILD, ada);
    h.fake.addMember(GUILD, { id: '800000000000000099', username: 'helper-bot', bot: true }, [bots]);
    // More members than one page holds, so the list is read in two.
    for (let n = 0; n < 1000; n++) h.fake.addMember(GUILD, { id: String(810000000000000000n + BigInt(n)), username: `member${n}` });
    const set = h.fake.command(target(channel, ada, asAdmin), 'budget', 'set', [{ name: 'approve-above', type: 10, value: 0.2 }]);
    await until(() => (h.fake.messages.get(h.fake.interactions.get(set.id)!.originalMessageId ?? '')?.embeds.length ?? 0) > 0, '/budget set', WAIT_MS);
  });
  after(async () => h.close());

  test("the server's only admin approves her own video, and it is delivered", async () => {
    const v = await adasVideo('a lighthouse in fog');
    assert.match(await approveOwn(v), new RegExp(`^Approved job \`${v.jobId}\``));
    assert.equal(h.fake.memberListCalls, 2, 'the member list was read in pages of 1000');
    await driveUntil(h.clock, async () => ['downloading', 'delivering', 'delivered'].includes((await job(v.jobId)).state), { stepMs: 500, maxSteps: 400 });
    await waitFor(async () => (await job(v.jobId)).state === 'delivered' && videosIn(h.fake, v.threadId).length > 0, 'the video in the thread');
  });

  test('with a second admin her own Approve is refused with the sentence; another admin decides', async () => {
    h.fake.addMember(GUILD, eve, [h.fake.addRole(GUILD, 'moderators', MANAGE_GUILD)]);
    // The list is trusted for a few minutes of the clock, then read again.
    await h.clock.advance(6 * 60_000);
    const v = await adasVideo('a windmill at night');
    assert.equal(await approveOwn(v), `Job ${v.jobId} is your own request: another admin has to approve or deny it.`);
    assert.equal((await job(v.jobId)).state, 'awaiting_approval');
    assert.match(await answer(h.fake.button(target(v.threadId, eve, asAdmin), v.statusId, `job:deny:${v.jobId}`)), /^Denied job/);
  });

  test('without the Server Members intent (403, 50001) she counts as not the only admin, and the refusal says what to do', async () => {
    const guild = h.fake.guild(GUILD);
    guild.members = guild.members.filter((m) => m.user.id !== eve.id);
    guild.membersIntent = false;
    await h.clock.advance(6 * 60_000);
    const v = await adasVideo('a harbour at dawn');
    const refused = await approveOwn(v);
    assert.match(refused, new RegExp(`^Job ${v.jobId} is your own request: another admin has to approve or deny it\\. The bot cannot read this server's member list \\(its Server Members intent is off\\)`));
    assert.match(refused, /another member with Manage Server decides, or the bot's owner turns on "Server Members Intent" in the Discord Developer Portal\./);
    assert.equal((await job(v.jobId)).state, 'awaiting_approval');
  });
});
