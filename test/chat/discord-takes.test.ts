/**
 * `/sora generate --takes 3` on Discord: the real bot with the real discord.js client against the fake
 * Discord and the provider simulator, on a ManualClock. The provider blocks one take's render: the 3x
 * price is held at once, the failed take's share is released and its failure shown in the thread, the
 * two others are posted as numbered videos in that same thread with a Keep button each, and Keep marks
 * one (only for the requester).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { internalsOf } from '../../src/core/studio-internals.js';
import { TERMINAL_STATES, type JobRecord } from '../../src/core/types.js';
import type { FakeDiscord, FakeInteraction, FakeUser } from '../fakes/discord/fake-discord.js';
import { alice, GUILD, harness, int, str, target, until, videosIn, type Harness } from '../fakes/discord/harness.js';
import { driveUntil } from '../helpers/drive.js';

const TENANT = `discord:${GUILD}`;
const bob: FakeUser = { id: '800000000000000002', username: 'bob' };
const callbackOf = (i: FakeInteraction, fake: FakeDiscord) => fake.interactions.get(i.id)!.callback;

describe('discord: three takes of one request', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ msPerVideoSecond: 10_000 });
  });
  after(async () => h.close());

  test('holds 3x, posts the numbered takes in one thread with Keep on each, releases the failed one, and Keep marks one', async () => {
    const { fake, clock } = h;
    const { jobs, ledger } = internalsOf(h.bot.studio);
    const channel = fake.addChannel(GUILD).id;
    // The provider blocks the first render it is asked for: one take fails, whichever starts first.
    h.sim.faults.inject({ protocol: 'openai', fault: 'moderation', times: 1 });
    const i = fake.command(target(channel, alice), 'sora', 'generate', [str('prompt', 'a red kite over the dunes'), int('seconds', 4), int('takes', 3)]);
    const reply = () => fake.messages.get(fake.interactions.get(i.id)!.originalMessageId ?? '')?.content ?? '';
    await until(() => /Takes:/.test(reply()), 'the acceptance');
    assert.match(reply(), /3 takes of a 4s landscape .+ estimated \$1\.20 together \(\$0\.40 each\)\./);
    const ids = [...reply().matchAll(/\d\. `(j_[0-9a-z]+)`/g)].map((m) => m[1]!);
    assert.equal(ids.length, 3);
    const read = async () => (await Promise.all(ids.map((id) => jobs.get(id)))) as JobRecord[];
    // The reply is posted before the takes start with their thread and status messages recorded.
    await driveUntil(clock, async () => (await read()).every((j) => j.started), { stepMs: 10, maxSteps: 500 });
    const accepted = await read();
    const month = accepted[0]!.ledgerMonth;
    const held = await ledger.summary(TENANT, month);
    assert.equal(held.total.reservedMicros + held.total.spentMicros, 1_200_000, '3x held before any take is made');

    // One thread, one status message per take.
    const threadId = String(accepted[0]!.surface.threadId);
    assert.equal(fake.channels.get(threadId)!.parent_id, channel);
    assert.deepEqual(new Set(accepted.map((j) => j.surface.threadId)), new Set([threadId]));
    assert.equal(new Set(accepted.map((j) => j.surface.statusMessageId)).size, 3, 'each take has its own status message');

    await driveUntil(clock, async () => (await read()).every((j) => TERMINAL_STATES.has(j.state)) && videosIn(fake, threadId).length === 2, { stepMs: 1_000, maxSteps: 600 });
    const done = await read();
    const failed = done.filter((j) => j.state === 'failed');
    const delivered = done.filter((j) => j.state === 'delivered');
    assert.equal(failed.length, 1);
    assert.equal(delivered.length, 2);

    // The failed take says so in its status message in the thread; its share went back.
    const failedStatus = () => fake.messages.get(String(failed[0]!.surface.statusMessageId))?.content ?? '';
    await until(() => /failed/.test(failedStatus()), "the failed take's status");
    assert.match(failedStatus(), new RegExp(`^\\*\\*Take ${failed[0]!.take!.index}/3\\*\\* · \\*\\*Status:\\*\\* failed`));
    assert.match(failedStatus(), /blocked/);
    assert.equal(await ledger.held(TENANT, month, failed[0]!.id), undefined);
    const settled = await ledger.summary(TENANT, month);
    assert.equal(settled.total.reservedMicros, 0);
    assert.equal(settled.total.spentMicros, 800_000, 'only the two delivered takes are charged');

    // The videos: numbered, in the one thread, each with its own Keep button.
    const videos = videosIn(fake, threadId);
    for (const take of delivered) {
      const video = videos.find((m) => m.attachments.some((a) => a.name === `${take.id}.mp4`));
      assert.ok(video, `take ${take.take!.index} is posted in the thread`);
      assert.match(video.content, new RegExp(`<@${alice.id}> your video is ready \\(take ${take.take!.index}/3\\)`));
      assert.match(JSON.stringify(video.components), new RegExp(`"custom_id":"job:keep:${take.id}"`));
    }

    // Keep: bob may not; alice's click marks her choice, and only it.
    const chosen = delivered[1]!;
    const chosenVideo = videos.find((m) => m.attachments.some((a) => a.name === `${chosen.id}.mp4`))!;
    const byBob = fake.button(target(threadId, bob), chosenVideo.id, `job:keep:${chosen.id}`);
    await until(() => callbackOf(byBob, fake) !== undefined, "bob's answer");
    assert.equal((callbackOf(byBob, fake)!.data!.flags as number) & 64, 64, 'refused privately');
    assert.match(String(callbackOf(byBob, fake)!.data!.content), /Only alice or an admin can choose which take/);
    assert.ok((await read()).every((j) => !j.take!.kept));

    const byAlice = fake.button(target(threadId, alice), chosenVideo.id, `job:keep:${chosen.id}`);
    await until(() => callbackOf(byAlice, fake) !== undefined, "alice's answer");
    assert.match(String(callbackOf(byAlice, fake)!.data!.content), new RegExp(`Kept take ${chosen.take!.index}/3 \\(job \`${chosen.id}\`\\)`));
    assert.deepEqual((await read()).map((j) => j.take!.kept), ids.map((id) => id === chosen.id));
  });
});
