/**
 * The Slack request signature the HTTP gate checks itself (src/chat/slack/http-events.ts), since
 * Bolt's own check is off: https://api.slack.com/authentication/verifying-requests-from-slack.
 * A signature made as Slack makes it passes, and Bolt's verifier agrees; a wrong secret, a changed
 * byte, a timestamp more than five minutes either side, or a malformed header fails, without throwing.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { isValidSlackRequest } from '@slack/bolt';
import { verifySlackSignature } from '../../src/chat/slack/http-events.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = Date.now();
const body = Buffer.from('token=x&team_id=T0TEAM&command=%2Fsora&text=generate+a+kite&response_url=https%3A%2F%2Fhooks.slack.com%2Fx');

function signed(secret: string, timestamp: number, bytes: Buffer): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${bytes.toString('utf8')}`).digest('hex')}`;
}

describe('Slack request signatures', () => {
  test('a request signed as Slack signs it passes, as Bolt would pass it', () => {
    const ts = Math.floor(NOW / 1000);
    const signature = signed(SECRET, ts, body);
    assert.equal(verifySlackSignature(SECRET, signature, String(ts), body, NOW), true);
    assert.equal(isValidSlackRequest({ signingSecret: SECRET, body: body.toString(), headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': ts } }), true);
  });

  test('a wrong secret, a changed byte, an old or a future timestamp, a malformed header: refused', () => {
    const ts = Math.floor(NOW / 1000);
    assert.equal(verifySlackSignature(SECRET, signed('another-secret', ts, body), String(ts), body, NOW), false);
    const changed = Buffer.from(body.toString().replace('kite', 'kitf'));
    assert.equal(verifySlackSignature(SECRET, signed(SECRET, ts, body), String(ts), changed, NOW), false);
    const old = ts - 6 * 60;
    assert.equal(verifySlackSignature(SECRET, signed(SECRET, old, body), String(old), body, NOW), false);
    const ahead = ts + 6 * 60;
    assert.equal(verifySlackSignature(SECRET, signed(SECRET, ahead, body), String(ahead), body, NOW), false);
    assert.equal(verifySlackSignature(SECRET, 'v0=abc', String(ts), body, NOW), false, 'a short hash');
    assert.equal(verifySlackSignature(SECRET, signed(SECRET, ts, body), `${ts}.5`, body, NOW), false, 'a timestamp that is not whole seconds');
    assert.equal(verifySlackSignature(SECRET, undefined, String(ts), body, NOW), false);
    assert.equal(verifySlackSignature(SECRET, [signed(SECRET, ts, body)], String(ts), body, NOW), false, 'a repeated header');
  });

  test('four minutes late is still inside the window', () => {
    const ts = Math.floor(NOW / 1000) - 4 * 60;
    assert.equal(verifySlackSignature(SECRET, signed(SECRET, ts, body), String(ts), body, NOW), true);
  });
});
