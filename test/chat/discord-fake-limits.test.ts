/**
 * The fake Discord refuses what Discord refuses (test/fakes/discord/bodies.ts): every Discord test runs the
 * bot's messages, replies, modals and threads through these limits, so this shows the fake saying no, with
 * Discord's status and error body, to each kind of body the bot sends. Real HTTP on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { FakeDiscord } from '../fakes/discord/fake-discord.js';

describe('the fake Discord says no as Discord does', () => {
  const clock = new ManualClock();
  const fake = new FakeDiscord({ clock });
  let channelId: string;
  before(async () => {
    await fake.start();
    channelId = fake.addChannel('910000000000000001').id;
  });
  after(() => fake.stop());

  const call = async (method: string, route: string, body: unknown) => {
    const res = await fetch(`${fake.apiUrl}/v10${route}`, { method, headers: { 'content-type': 'application/json', authorization: 'Bot t' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { code: number; errors?: Record<string, unknown> } };
  };
  const post = (body: unknown) => call('POST', `/channels/${channelId}/messages`, body);

  test('a message within the limits is posted', async () => {
    const ok = await post({ content: 'x'.repeat(2000), embeds: [{ title: 't'.repeat(256), description: 'd'.repeat(4096) }], allowed_mentions: { parse: [] } });
    assert.equal(ok.status, 200);
  });

  test('content over 2000 characters: 400, code 50035, the field named', async () => {
    const refused = await post({ content: 'x'.repeat(2001) });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.code, 50035);
    assert.ok(refused.body.errors?.content, 'the error names the field');
  });

  test('wrong types and shapes are refused: a numeric content, an 11th embed, a button without custom_id, a long label', async () => {
    for (const body of [
      { content: 42 },
      { embeds: Array.from({ length: 11 }, () => ({ title: 'x' })) },
      { content: 'x', components: [{ type: 1, components: [{ type: 2, style: 1, label: 'Cancel' }] }] },
      { content: 'x', components: [{ type: 1, components: [{ type: 2, style: 1, label: 'l'.repeat(81), custom_id: 'c' }] }] },
      { content: 'x', allowed_mentions: { parse: ['channels'] } },
    ]) {
      const refused = await post(body);
      assert.equal(refused.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(refused.body.code, 50035);
    }
  });

  test('an empty message is 50006', async () => {
    const refused = await post({ content: '' });
    assert.deepEqual([refused.status, refused.body.code], [400, 50006]);
  });

  test('a thread name over 100 characters, or an archive time Discord does not offer, is refused', async () => {
    const anchor = await post({ content: 'anchor' });
    const id = (anchor.body as unknown as { id: string }).id;
    for (const body of [{ name: 'n'.repeat(101) }, { name: 'ok', auto_archive_duration: 30 }]) {
      const refused = await call('POST', `/channels/${channelId}/messages/${id}/threads`, body);
      assert.deepEqual([refused.status, refused.body.code], [400, 50035]);
    }
    assert.equal((await call('POST', `/channels/${channelId}/messages/${id}/threads`, { name: 'n'.repeat(100), auto_archive_duration: 1440 })).status, 201);
  });

  test('an initial response after 3 s is refused and the token is dead (10062), one in time is taken', async () => {
    const target = { guildId: '910000000000000001', channelId, user: { id: '810000000000000001', username: 'ann' } };
    const late = fake.command(target, 'sora', 'status');
    await clock.advance(3_001);
    assert.deepEqual(await call('POST', `/interactions/${late.id}/${late.token}/callback`, { type: 5 }).then((r) => [r.status, r.body.code]), [404, 10062]);
    assert.equal((await call('PATCH', `/webhooks/${fake.applicationId}/${late.token}/messages/@original`, { content: 'x' })).status, 404);
    const inTime = fake.command(target, 'sora', 'status');
    const res = await fetch(`${fake.apiUrl}/v10/interactions/${inTime.id}/${inTime.token}/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 5 }) });
    assert.equal(res.status, 204);
  });
});
