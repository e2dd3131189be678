/**
 * The team controls on Discord, end to end: the real bot wiring with the real
 * discord.js client against the fake Discord and the provider simulator, on a
 * ManualClock. `/settings access allow:@role` refuses a member without the role
 * before anything is reserved and lets a member with it generate (the roles come
 * from the interaction's member); channel defaults fill what was left open and
 * lose to typed options; the 80% warning is posted in the channel
 * `/settings alerts` named; `/cost` shows its chart PNG inside the embed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { monthOf } from '../../src/core/ledger.js';
import { internalsOf } from '../../src/core/studio-internals.js';
import { ADMIN_PERMISSIONS, type FakeInteraction, type FakeUser } from '../fakes/discord/fake-discord.js';
import { waitFor } from '../helpers/drive.js';
import { alice, GUILD, harness, int, str, target, until, type Harness } from '../fakes/discord/harness.js';

const TENANT = `discord:${GUILD}`;
const bob: FakeUser = { id: '800000000000000002', username: 'bob' };
const ada: FakeUser = { id: '800000000000000003', username: 'ada' };
const asAdmin = { memberPermissions: ADMIN_PERMISSIONS };

describe('discord: team controls', { concurrency: false }, () => {
  let h: Harness;
  let channel: string;
  let makers: string;
  const held = async () => (await internalsOf(h.bot.studio).ledger.summary(TENANT, monthOf(h.clock.now()))).total;
  /** What the bot answered: the immediate reply, or the deferred reply once filled in. */
  const answer = async (i: FakeInteraction) => {
    const text = () => {
      const record = h.fake.interactions.get(i.id)!;
      const original = record.originalMessageId ? h.fake.messages.get(record.originalMessageId) : undefined;
      return String(record.callback?.data?.content ?? '') || original?.content || JSON.stringify(original?.embeds ?? []).replace(/^\[\]$/, '');
    };
    await waitFor(() => text() !== '', `the answer to ${i.id}`, 120_000);
    return text();
  };
  const generate = (user: FakeUser, prompt: string, options: { name: string; type: number; value: string | number }[] = [], extra = {}) =>
    h.fake.command(target(channel, user, extra), 'sora', 'generate', [str('prompt', prompt), ...options]);
  const jobs = () => internalsOf(h.bot.studio).jobs.recent(TENANT);

  before(async () => {
    h = await harness({ msPerVideoSecond: 10_000 });
    channel = h.fake.addChannel(GUILD).id;
    makers = h.fake.addRole(GUILD, 'video-makers');
  });
  after(async () => h.close());

  test('only the allowed role generates: a member without it is refused before anything is reserved', async () => {
    await answer(h.fake.command(target(channel, ada, asAdmin), 'settings', 'access', [str('allow', `<@&${makers}>`)]));
    const refused = generate(bob, 'a heron in the reeds', [int('seconds', 4)]);
    assert.match(await answer(refused), /Only members of .+ can make videos in this team\. ada or another admin decides this with \/settings access\. Nothing was spent\./);
    assert.equal((await jobs()).length, 0, 'no job');
    assert.equal((await held()).reservedMicros, 0, 'nothing reserved');
  });

  test('a member with the role generates; channel defaults fill what was left open; typed options win', async () => {
    await answer(h.fake.command(target(channel, ada, asAdmin), 'settings', 'channel', [str('orientation', 'portrait'), int('seconds', 8)]));
    await answer(generate(alice, 'a heron takes off', [], { roles: [makers] }));
    await answer(generate(alice, 'a heron lands', [int('seconds', 4)], { roles: [makers] }));
    const all = await jobs();
    const open = all.find((j) => j.input.prompt === 'a heron takes off')!;
    const typed = all.find((j) => j.input.prompt === 'a heron lands')!;
    assert.deepEqual([open.input.orientation, open.input.seconds], ['portrait', 8], 'the channel defaults');
    assert.deepEqual([typed.input.orientation, typed.input.seconds], ['portrait', 4], 'seconds:4 beats the default of 8');
  });

  test('the 80% warning is posted in the alerts channel', async () => {
    const alerts = h.fake.addChannel(GUILD).id;
    await answer(h.fake.command(target(channel, ada, asAdmin), 'settings', 'alerts', [str('channel', `<#${alerts}>`)]));
    const used = (await held()).reservedMicros + (await held()).spentMicros;
    const cap = Math.ceil((used + 400_000) / 0.9 / 10_000) / 100; // the next $0.40 takes the team past 80%
    await answer(h.fake.command(target(channel, ada, asAdmin), 'budget', 'set', [{ name: 'amount', type: 10, value: cap }]));
    await answer(generate(alice, 'a heron sleeps', [int('seconds', 4)], { roles: [makers] }));
    await until(() => h.fake.messagesIn(alerts).length > 0, 'the warning in the alerts channel', 30_000);
    const [warning] = h.fake.messagesIn(alerts);
    assert.match(warning!.content, /The team has used [89]\d% of the team's \$\d+\.\d\d cap this month/);
    assert.equal(warning!.via, 'bot');
  });

  test('/cost shows the month chart as a PNG inside its embed', async () => {
    const cost = h.fake.command(target(channel, ada, asAdmin), 'cost', undefined);
    await answer(cost);
    const reply = h.fake.messages.get(h.fake.interactions.get(cost.id)!.originalMessageId!)!;
    const png = reply.attachments.find((a) => a.name.endsWith('.png'));
    assert.ok(png, JSON.stringify(reply.attachments));
    assert.deepEqual([...png.data.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG magic bytes');
    assert.ok(png.size > 0);
    assert.equal((reply.embeds[0] as { image?: { url: string } }).image?.url, `attachment://${png.name}`, 'shown inside the embed');
  });
});
