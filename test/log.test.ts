/**
 * Secrets can hide where no redaction path looks: in a URL, an error message,
 * a provider's echo of our request. The logger scrubs their literal values
 * from every line.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger } from '../src/log.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('scrubs literal secret values from messages, errors and nested fields', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'debug', secrets: ['sk-live-0123456789', 'xoxb-9876-secret'], destination });
    logger.warn({ url: 'https://gw.example/v1/videos?key=sk-live-0123456789' }, 'call failed');
    logger.error({ err: new Error('upstream said: invalid token xoxb-9876-secret') }, 'slack failed');
    logger.debug({ request: { body: { note: 'echo sk-live-0123456789' } } }, 'provider echo');
    const text = lines.join('');
    assert.equal(lines.length, 3);
    assert.doesNotMatch(text, /sk-live-0123456789|xoxb-9876-secret/);
    assert.match(text, /\[redacted\]/);
  });

  it('redacts authorization headers by path even when the value is unknown', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ level: 'info', secrets: [], destination });
    logger.info({ headers: { authorization: 'Bearer whatever-unknown' } }, 'request');
    assert.doesNotMatch(lines.join(''), /whatever-unknown/);
  });
});
