/**
 * The fake Slack refuses what Slack refuses (test/fakes/slack/blocks.ts): every Slack test runs the bot's
 * messages and modals through Block Kit's limits, so this shows the fake saying no, with Slack's error, to
 * each kind the bot sends. Real HTTP on 127.0.0.1, form-encoded as Slack's Web API client sends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeSlack } from '../fakes/slack/fake-slack.js';

describe('the fake Slack says no as Slack does', () => {
  let fake: FakeSlack;
  before(async () => {
    fake = await new FakeSlack().start();
  });
  after(() => fake.stop());

  const call = async (method: string, args: Record<string, unknown>) => {
    const form = new URLSearchParams(Object.entries(args).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    const res = await fetch(`${fake.apiUrl}/${method}`, { method: 'POST', headers: { authorization: `Bearer ${fake.botToken}`, 'content-type': 'application/x-www-form-urlencoded' }, body: form });
    return (await res.json()) as { ok: boolean; error?: string };
  };
  const section = (chars: number) => ({ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(chars) } });

  test('blocks within the limits are posted', async () => {
    const answer = await call('chat.postMessage', { channel: 'C1', text: 'fallback', blocks: [section(3000), { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'b'.repeat(75) }, action_id: 'a', value: 'v' }] }] });
    assert.equal(answer.ok, true);
  });

  test('a section over 3000 characters, a numeric text, a long button, 51 blocks: invalid_blocks', async () => {
    for (const blocks of [
      [section(3001)],
      [{ type: 'section', text: { type: 'mrkdwn', text: 42 } }],
      [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'b'.repeat(76) }, action_id: 'a' }] }],
      Array.from({ length: 51 }, () => section(10)),
      [{ type: 'header', text: { type: 'mrkdwn', text: 'headers take plain text only' } }],
    ]) {
      for (const method of ['chat.postMessage', 'chat.update', 'chat.postEphemeral']) {
        const answer = await call(method, { channel: 'C1', ts: '1.1', user: 'U1', text: 'fallback', blocks });
        assert.deepEqual([answer.ok, answer.error], [false, 'invalid_blocks'], `${method} ${JSON.stringify(blocks).slice(0, 60)}`);
      }
    }
  });

  test('no text and no blocks: no_text; blocks that are not JSON: invalid_blocks_format', async () => {
    assert.equal((await call('chat.postMessage', { channel: 'C1' })).error, 'no_text');
    assert.equal((await call('chat.postMessage', { channel: 'C1', blocks: '[{' })).error, 'invalid_blocks_format');
  });

  test('a modal title over 24 characters: invalid_arguments', async () => {
    const view = (title: string) => ({ type: 'modal', title: { type: 'plain_text', text: title }, blocks: [] });
    assert.equal((await call('views.open', { trigger_id: 't', view: view('t'.repeat(24)) })).ok, true);
    assert.equal((await call('views.open', { trigger_id: 't', view: view('t'.repeat(25)) })).error, 'invalid_arguments');
  });
});
