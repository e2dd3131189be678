/**
 * The Discord HTTP transport's own answer when a handler is late: past the
 * 2.5 s deadline it answers the POST with a public defer, and the handler's
 * answer, when it comes, must still reach the person instead of failing with
 * 40060 ("already acknowledged") and cancelling their job. Found by the
 * three-replica burst test on a loaded machine (test/e2e/cluster-burst.test.ts).
 * The same public defer goes out at once for a job launch that arrives while
 * others wait (a burst), its handler running once arrivals pause.
 *
 * Real HTTP: signed POSTs to the transport on 127.0.0.1; the REST side is the
 * `send` function discord.js would call, recorded here.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ANSWER_DEADLINE_MS, createHttpInteractions, WITHDRAWN_PLACEHOLDER, type HttpInteractions } from '../../src/chat/discord/http-interactions.js';
import { defersPublicly } from '../../src/chat/discord/slash-command.js';
import { ManualClock } from '../../src/core/clock.js';
import { QuietTurns } from '../../src/core/quiet-turns.js';
import { silentLogger } from '../../src/log.js';
import { RecordingClock } from '../helpers/drive.js';

const APP = '1100000000000000001';
const API = 'http://127.0.0.1:9/api/v10';

describe('Discord HTTP interactions: the deadline defer and a late answer', () => {
  const clock = new ManualClock();
  /** The transport's clock: counts the sleeps it starts. */
  const watched = new RecordingClock(clock);
  const keys = generateKeyPairSync('ed25519');
  const publicKey = keys.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
  const dispatched: string[] = [];
  /** 'answer <id>' when a POST's response is written, 'dispatch <id>' when its handler gets it: their order. */
  const events: string[] = [];
  const sent: { url: string; method: string; body: unknown }[] = [];
  let transport: HttpInteractions;
  let server: Server;
  let lastRequest: IncomingMessage | undefined;
  let url: string;
  const send = transportSend();

  function transportSend() {
    return (async (target: string, init: RequestInit) => {
      sent.push({ url: target, method: init.method ?? 'GET', body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body });
      return new Response(init.method === 'DELETE' ? null : JSON.stringify({ id: '1' }), { status: init.method === 'DELETE' ? 204 : 200 });
    }) as Parameters<HttpInteractions['makeRequest']>[0];
  }

  before(async () => {
    transport = createHttpInteractions({
      publicKey,
      applicationId: APP,
      clock: watched,
      logger: silentLogger,
      dispatch: (p) => void (dispatched.push(String(p.id)), events.push(`dispatch ${String(p.id)}`)),
      defersPublicly,
      arrivals: new QuietTurns(),
    });
    server = createServer((req, res) => {
      lastRequest = req;
      res.on('finish', () => events.push(`answer ${String(req.headers['x-test-id'])}`));
      void transport.handle(req, res, new URL(req.url ?? '/', 'http://x'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/discord/interactions`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  /** Posts an interaction signed as Discord signs it; resolves with the HTTP answer. */
  async function post(id: string, data: unknown = { name: 'sora' }): Promise<{ status: number; body: unknown }> {
    const body = JSON.stringify({ id, type: 2, token: `tok${id}`, application_id: APP, version: 1, data });
    const timestamp = String(Math.floor(clock.now() / 1000));
    const signature = sign(null, Buffer.from(timestamp + body), keys.privateKey).toString('hex');
    const headers = { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp, 'x-test-id': id };
    const res = await fetch(url, { method: 'POST', headers, body });
    return { status: res.status, body: await res.json() };
  }

  /** A handler that answered nothing before the deadline; the POST gets the transport's public defer. */
  async function lateInteraction(id: string): Promise<void> {
    const answer = post(id);
    await untilDispatched(id);
    await clock.advance(ANSWER_DEADLINE_MS);
    assert.deepEqual(await answer, { status: 200, body: { type: 5 } }, 'the transport deferred, publicly');
  }

  /** Resolves once the transport has handed `ids` to the handlers (the test's `dispatch`). */
  async function untilDispatched(...ids: string[]): Promise<void> {
    while (!ids.every((id) => dispatched.includes(id))) await new Promise((resolve) => setImmediate(resolve));
  }

  /** What a private reply after a public defer sends: the neutral fill, the ephemeral follow-up, the delete. */
  function assertWithdrawn(id: string): void {
    assert.deepEqual(sent.map((s) => [s.method, s.url]), [
      ['PATCH', `${API}/webhooks/${APP}/tok${id}/messages/@original`],
      ['POST', `${API}/webhooks/${APP}/tok${id}`],
      ['DELETE', `${API}/webhooks/${APP}/tok${id}/messages/@original`],
    ]);
    assert.deepEqual(sent[0]!.body, { content: WITHDRAWN_PLACEHOLDER, allowed_mentions: { parse: [] } }, 'nothing of the reply in the public message');
  }

  const callback = (id: string, body: unknown) => transport.makeRequest(send)(`${API}/interactions/${id}/tok${id}/callback?with_response=false`, { method: 'POST', headers: {}, body: JSON.stringify(body) });

  test('an answer in time is the HTTP response, and nothing goes over REST', async () => {
    const answer = post('101');
    await untilDispatched('101');
    const res = await callback('101', { type: 5 });
    assert.equal(res.status, 204);
    assert.deepEqual(await answer, { status: 200, body: { type: 5 } });
    assert.equal(sent.length, 0);
  });

  test("a late public defer is what Discord already shows: accepted, nothing sent", async () => {
    await lateInteraction('102');
    const res = await callback('102', { type: 5 });
    assert.equal(res.status, 204, 'the handler goes on to open its thread and edit the reply');
    assert.equal(sent.length, 0);
  });

  // Right after a defer, a follow-up would fill the public "thinking…" message and drop its ephemeral flag
  // (https://discord.com/developers/docs/interactions/receiving-and-responding#create-followup-message), as the
  // fake Discord does too: the placeholder is filled with a neutral mark first, so the follow-up is a message of its own.
  test('a late ephemeral reply: the placeholder is neutralised, the reply follows privately, the placeholder goes', async () => {
    await lateInteraction('103');
    const res = await callback('103', { type: 4, data: { content: 'Only you can see this', flags: 64 } });
    assert.equal(res.status, 204);
    assertWithdrawn('103');
    assert.deepEqual(sent[1]!.body, { content: 'Only you can see this', flags: 64 }, 'still ephemeral: private words never become public');
  });

  test('a late public reply fills the placeholder, and nothing is deleted', async () => {
    sent.length = 0;
    await lateInteraction('120');
    const res = await callback('120', { type: 4, data: { content: 'For everyone' } });
    assert.equal(res.status, 204);
    assert.deepEqual(sent.map((s) => [s.method, s.url, s.body]), [['PATCH', `${API}/webhooks/${APP}/tok120/messages/@original`, { content: 'For everyone' }]]);
  });

  test('a late ephemeral defer or a modal cannot follow a public defer: Discord\'s 40060, so the handler knows', async () => {
    sent.length = 0;
    await lateInteraction('104');
    const ephemeralDefer = await callback('104', { type: 5, data: { flags: 64 } });
    assert.equal(ephemeralDefer.status, 400);
    assert.equal(((await ephemeralDefer.json()) as { code: number }).code, 40060);
    await lateInteraction('105');
    const modal = await callback('105', { type: 9, data: { custom_id: 'm', title: 't', components: [] } });
    assert.equal(modal.status, 400);
    assert.equal(sent.length, 0);
  });

  test('a defer written directly is the HTTP response; a second answer then goes the late way', async () => {
    sent.length = 0;
    const sleepsBefore = clock.pendingSleeps; // the earlier tests' late answers are remembered for 15 minutes
    const answer = post('106');
    await untilDispatched('106');
    assert.equal(clock.pendingSleeps, sleepsBefore + 1, 'one watch over the waiting interaction');
    assert.equal(transport.defer('106', true), true);
    assert.deepEqual(await answer, { status: 200, body: { type: 5, data: { flags: 64 } } }, 'the ephemeral defer, as discord.js would send it');
    assert.equal(transport.defer('106', false), false, 'answered already: nothing written twice');
    assert.equal(transport.defer('999', false), false, 'not waiting here (a gateway interaction)');
    assert.equal(sent.length, 0, 'nothing went over REST');
    // The next arrival while the watch still sleeps starts no timer of its own.
    const started = watched.sleeps.length;
    const next = post('1061');
    await untilDispatched('1061');
    assert.equal(watched.sleeps.length, started, 'still the one watch: no sleep started for the next arrival');
    assert.equal(transport.defer('1061', false), true);
    assert.deepEqual(await next, { status: 200, body: { type: 5 } });
    // It ends at the deadline it slept for, finding everything answered.
    await clock.advance(ANSWER_DEADLINE_MS);
    assert.equal(clock.pendingSleeps, sleepsBefore, 'nothing waits: the deadline watch stopped');
  });

  test('one watch defers each of several late interactions at its own deadline, and none early', async () => {
    const answers = ['107', '108'].map((id) => post(id));
    await untilDispatched('108');
    await clock.advance(ANSWER_DEADLINE_MS - 100);
    const third = post('109');
    await untilDispatched('109');
    await clock.advance(100);
    assert.deepEqual(await Promise.all(answers), [{ status: 200, body: { type: 5 } }, { status: 200, body: { type: 5 } }]);
    assert.equal(transport.defer('109', false), true, 'the third, 100 ms younger, was still waiting for its handler');
    assert.deepEqual(await third, { status: 200, body: { type: 5 } });
  });

  test('a body over 1 MB is refused with 413 before it is verified or parsed', async () => {
    const body = JSON.stringify({ id: '110', type: 2, token: 'tok110', application_id: APP, data: { name: 'x'.repeat(1_100_000) } });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature-ed25519': '0'.repeat(128), 'x-signature-timestamp': '1' }, body });
    assert.equal(res.status, 413);
    assert.equal(dispatched.includes('110'), false);
  });

  test('a request Discord abandoned is forgotten: the answer goes over REST instead', async () => {
    sent.length = 0;
    const body = JSON.stringify({ id: '111', type: 2, token: 'tok111', application_id: APP, version: 1, data: { name: 'sora' } });
    const timestamp = String(Math.floor(clock.now() / 1000));
    const signature = sign(null, Buffer.from(timestamp + body), keys.privateKey).toString('hex');
    const hangUp = new AbortController();
    const request = fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature-ed25519': signature, 'x-signature-timestamp': timestamp }, body, signal: hangUp.signal }).catch(() => 'abandoned');
    await untilDispatched('111');
    const socket = lastRequest!.socket;
    const closed = socket.destroyed ? Promise.resolve() : once(socket, 'close');
    hangUp.abort();
    assert.equal(await request, 'abandoned');
    await closed; // the server has seen Discord hang up
    assert.equal(transport.defer('111', false), false, 'nothing to write to');
    const res = await callback('111', { type: 5 });
    assert.equal(res.status, 200, 'what the REST side answered');
    assert.deepEqual(sent.map((s) => s.method + ' ' + s.url.split('?')[0]), [`POST ${API}/interactions/111/tok111/callback`]);
  });

  /** `/sora generate` as Discord sends it: a launch whose accepted answer is a public defer. */
  const launch = (extra: unknown[] = []) => ({ name: 'sora', options: [{ type: 1, name: 'generate', options: [{ type: 3, name: 'prompt', value: 'a kite' }, ...extra] }] });

  test('alone, a launch reaches its handler before it is answered: a refusal can still be private from the start', async () => {
    events.length = 0;
    const answer = post('130', launch());
    await untilDispatched('130');
    assert.equal(transport.defer('130', false), true);
    assert.deepEqual(await answer, { status: 200, body: { type: 5 } });
    assert.deepEqual(events, ['dispatch 130', 'answer 130']);
  });

  test('under a burst, a launch is deferred publicly as it arrives and handed to its handler once arrivals pause', async () => {
    events.length = 0;
    sent.length = 0;
    const first = post('131');
    await untilDispatched('131');
    // 131 waits for its handler's answer: what arrives now is part of a burst.
    assert.deepEqual(await post('132', launch()), { status: 200, body: { type: 5 } });
    await transport.handedOver();
    assert.deepEqual(events.slice(0, 3), ['dispatch 131', 'answer 132', 'dispatch 132'], 'answered before its handler ran');
    assert.equal(transport.defer('132', false), true, "the handler's own public defer: already Discord's state, nothing written");
    assert.equal(transport.defer('132', false), false, 'once');

    // While 131 still waits: a launch with a file to fetch (an ephemeral defer first) and any other command go the usual way.
    const withFile = post('133', launch([{ type: 11, name: 'image', value: '1' }]));
    const status = post('134', { name: 'sora', options: [{ type: 1, name: 'status', options: [] }] });
    await untilDispatched('133', '134');
    assert.equal(transport.defer('133', true), true);
    assert.equal(transport.defer('134', true), true);
    assert.deepEqual(await withFile, { status: 200, body: { type: 5, data: { flags: 64 } } });
    assert.deepEqual(await status, { status: 200, body: { type: 5, data: { flags: 64 } } });
    assert.equal(transport.defer('131', false), true);
    await first;
    assert.equal(sent.length, 0, 'nothing went over REST');
  });

  test('a launch deferred at once and then refused: the placeholder is neutralised, the refusal follows privately', async () => {
    sent.length = 0;
    const first = post('135');
    await untilDispatched('135');
    assert.deepEqual(await post('136', launch()), { status: 200, body: { type: 5 } });
    await transport.handedOver();
    const res = await callback('136', { type: 4, data: { content: 'No room in the budget', flags: 64 } });
    assert.equal(res.status, 204);
    assertWithdrawn('136');
    assert.equal(transport.defer('135', false), true);
    await first;
  });

  test('for a deadline after a launch deferred at once, the burst is taken to go on; after it, a launch alone is checked first again', async () => {
    events.length = 0;
    // 136, just above, was deferred at once on this clock's present.
    assert.deepEqual(await post('137', launch()), { status: 200, body: { type: 5 } }, 'nothing waits, yet answered at once');
    await transport.handedOver();
    assert.deepEqual(events, ['answer 137', 'dispatch 137']);
    assert.equal(transport.defer('137', false), true);

    await clock.advance(ANSWER_DEADLINE_MS);
    events.length = 0;
    const alone = post('138', launch());
    await untilDispatched('138');
    assert.equal(transport.defer('138', false), true);
    assert.deepEqual(await alone, { status: 200, body: { type: 5 } });
    assert.deepEqual(events, ['dispatch 138', 'answer 138'], 'checked before it is answered');
  });
});
