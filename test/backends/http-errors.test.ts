/**
 * Errors that tell the truth: a provider's validation answer is the user's to
 * fix only when it names an option the user chose and objects to its value;
 * anything else about a request the bot built is the bot's problem
 * (`rejected_request`), logged at error level with the provider's detail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createProviderHttp } from '../../src/backends/http/client.js';
import { classifyRejection, httpFailure } from '../../src/backends/http/errors.js';
import { ManualClock } from '../../src/core/clock.js';
import { describeProviderFailure, ProviderError } from '../../src/core/errors.js';
import { plainText } from '../../src/core/markup.js';
import { render } from '../../src/core/messages.js';
import { createLogger } from '../../src/log.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { LogCapture } from '../helpers/test-bot.js';

const providerSentence = (error: ProviderError, backendName: string) => render(describeProviderFailure(error, backendName), plainText);

const answer = (status: number, body: unknown) =>
  httpFailure({ backend: 'b', operation: 'op', status, text: JSON.stringify(body), headers: {} });

describe('classifying a provider rejection', () => {
  it('blames the user only for a value they chose that the provider names', () => {
    const e = answer(400, { error: { message: "Invalid value: '16'.", type: 'invalid_request_error', param: 'seconds', code: 'invalid_value' } });
    assert.equal(e.kind, 'invalid_input');
    assert.equal(e.field, 'seconds');
    assert.match(providerSentence(e, 'OpenAI'), /could not accept the duration you chose/);
  });

  it('calls a wrong type, a missing or unknown parameter, or an unnamed field the bot’s problem', () => {
    const wrongType = answer(400, { error: { message: 'x', type: 'invalid_request_error', param: 'seconds', code: 'invalid_type' } });
    assert.equal(wrongType.kind, 'rejected_request');
    assert.equal(wrongType.field, undefined);
    const unknown = answer(400, { error: { message: 'x', type: 'invalid_request_error', param: 'duration', code: 'unknown_parameter' } });
    assert.equal(unknown.kind, 'rejected_request');
    const model = answer(400, { error: { message: 'x', type: 'invalid_request_error', param: 'model', code: 'invalid_value' } });
    assert.equal(model.kind, 'rejected_request');
    const bare = answer(422, { message: 'validation failed' });
    assert.equal(bare.kind, 'rejected_request');
    const sentence = providerSentence(bare, 'Wan 2.7 on fal');
    assert.match(sentence, /bot's problem, not yours/);
    assert.doesNotMatch(sentence, /settings|Try another duration/);
  });

  it('reads pydantic 422 details: the Wan 2.7 string duration is the bot’s bug, a value out of range the user’s', () => {
    // fal answered `"duration": "8"` on an integer field with int_parsing (issue 10).
    const stringDuration = answer(422, { detail: [{ loc: ['body', 'duration'], msg: 'Input should be a valid integer', type: 'int_parsing' }] });
    assert.equal(stringDuration.kind, 'rejected_request');
    const outOfRange = answer(422, { detail: [{ loc: ['body', 'duration'], msg: 'Input should be 2..10', type: 'less_than_equal' }] });
    assert.equal(outOfRange.kind, 'invalid_input');
    assert.equal(outOfRange.field, 'seconds');
  });

  it('maps a forgotten character id to binding_missing, on 400 and on 404', () => {
    assert.equal(answer(400, { error: { message: 'x', type: 'invalid_request_error', param: 'characters', code: 'character_not_found' } }).kind, 'binding_missing');
    assert.equal(answer(404, { error: { message: 'x', type: 'invalid_request_error', param: null, code: 'character_not_found' } }).kind, 'binding_missing');
    assert.equal(answer(400, { code: 'character_not_found', message: 'x' }).kind, 'binding_missing');
  });

  it('lets a backend name its own user-chosen parameters', () => {
    assert.deepEqual(classifyRejection('invalid_value', 'clip_length', { clip_length: 'seconds' }), { kind: 'invalid_input', field: 'seconds' });
    assert.deepEqual(classifyRejection('invalid_value', 'seconds', {}), { kind: 'rejected_request' });
  });
});

describe('the HTTP client logs a rejected request at error level', () => {
  let sim: Simulator;
  const clock = new ManualClock();
  before(async () => {
    sim = await startSimulator({ clock });
  });
  after(async () => {
    await sim.stop();
  });

  it('with the provider’s detail, and keeps invalid_input at debug', async () => {
    const logs = new LogCapture();
    const http = createProviderHttp({
      backend: 'openai',
      baseUrl: sim.openaiBaseUrl,
      authHeaders: { authorization: 'Bearer sk-log-test-0001' },
      clock,
      logger: createLogger({ level: 'debug', secrets: ['sk-log-test-0001'], destination: logs }),
      retry: { maxAttempts: 1 },
    });
    try {
      const create = (body: unknown) => http.json(z.object({}), { method: 'POST', path: '/videos', operation: 'videos.create', json: body });
      const wrong = await create({ prompt: 'a fox', seconds: 8 }).then(
        () => assert.fail('expected a rejection'),
        (error: unknown) => error as ProviderError,
      );
      assert.equal(wrong.kind, 'rejected_request');
      const errorLines = logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string; body?: string }).filter((l) => l.level === 50);
      assert.equal(errorLines.length, 1);
      assert.match(errorLines[0]!.msg, /rejected the request the bot built/);
      assert.match(errorLines[0]!.body ?? '', /invalid_type/);
      const chosen = await create({ prompt: 'a fox', seconds: '16' }).then(
        () => assert.fail('expected a rejection'),
        (error: unknown) => error as ProviderError,
      );
      assert.equal(chosen.kind, 'invalid_input');
      assert.equal(chosen.field, 'seconds');
      assert.equal(logs.lines.map((l) => JSON.parse(l) as { level: number }).filter((l) => l.level === 50).length, 1);
    } finally {
      await http.close();
    }
  });
});
