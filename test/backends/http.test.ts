import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createProviderHttp, fileBlob, FormData } from '../../src/backends/http/client.js';
import { kindForHttpStatus, providerCodeFromBody } from '../../src/backends/http/errors.js';
import { backoffDelay, DEFAULT_RETRY, parseRetryAfter } from '../../src/backends/http/retry.js';
import { applyPriceOverride } from '../../src/core/pricing.js';
import { ManualClock } from '../../src/core/clock.js';
import { ProviderError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/log.js';
import { driveWhile, RecordingClock, waitFor } from '../helpers/drive.js';
import { providerRejection } from '../helpers/simulator-fixture.js';

type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => unknown;

/** A bare loopback server whose behaviour each test scripts per hit. */
async function scriptedServer(): Promise<{ url: string; server: Server; hits: () => number; on: (h: Handler) => void; bodies: Buffer[]; headers: IncomingMessage['headers'][] }> {
  let handler: Handler = (_req, res) => res.end('{}');
  let hits = 0;
  const bodies: Buffer[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server = createServer(async (req, res) => {
    hits++;
    headers.push(req.headers);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    bodies.push(Buffer.concat(chunks));
    await handler(req, res, hits);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, hits: () => hits, on: (h) => (handler = h), bodies, headers };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const okSchema = z.object({ ok: z.literal(true) });
const KEY = 'sk-test-secret-key-123456';

describe('http: pure rules', { timeout: 60_000 }, () => {
  it('reads retry-after-ms before retry-after, and both forms of retry-after', () => {
    const now = Date.UTC(2026, 10, 24, 12, 0, 0);
    assert.equal(parseRetryAfter({ 'retry-after-ms': '1500', 'retry-after': '9' }, now), 1500);
    assert.equal(parseRetryAfter({ 'retry-after': '7' }, now), 7000);
    assert.equal(parseRetryAfter({ 'retry-after': new Date(now + 12_000).toUTCString() }, now), 12_000);
    assert.equal(parseRetryAfter({ 'retry-after': new Date(now - 5_000).toUTCString() }, now), 0);
    assert.equal(parseRetryAfter({ 'retry-after': 'soon' }, now), undefined);
    assert.equal(parseRetryAfter({}, now), undefined);
  });

  it('backs off exponentially with bounded jitter and a cap', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 1000, maxDelayMs: 5000 };
    assert.equal(backoffDelay(1, policy, () => 0), 500);
    assert.equal(backoffDelay(1, policy, () => 1), 1000);
    assert.equal(backoffDelay(2, policy, () => 0), 1000);
    assert.equal(backoffDelay(3, policy, () => 1), 4000);
    assert.equal(backoffDelay(10, policy, () => 1), 5000);
  });

  it('maps statuses and provider codes to kinds', () => {
    assert.equal(kindForHttpStatus(401, undefined), 'auth');
    assert.equal(kindForHttpStatus(403, undefined), 'auth');
    assert.equal(kindForHttpStatus(402, undefined), 'quota');
    // OpenAI sends insufficient_quota as a 429: it must not be retried as a rate limit.
    assert.equal(kindForHttpStatus(429, 'insufficient_quota'), 'quota');
    assert.equal(kindForHttpStatus(429, 'rate_limit_exceeded'), 'rate_limit');
    assert.equal(kindForHttpStatus(400, 'moderation_blocked'), 'moderation');
    assert.equal(kindForHttpStatus(422, 'content_policy_violation'), 'moderation');
    // On the status alone a validation answer is the bot's problem (http-errors.test.ts covers the field rule).
    assert.equal(kindForHttpStatus(400, 'invalid_value'), 'rejected_request');
    assert.equal(kindForHttpStatus(422, undefined), 'rejected_request');
    assert.equal(kindForHttpStatus(404, undefined), 'not_found');
    assert.equal(kindForHttpStatus(500, undefined), 'transient');
    assert.equal(kindForHttpStatus(503, undefined), 'transient');
  });

  it('extracts only identifier-like codes from error bodies', () => {
    assert.equal(providerCodeFromBody({ error: { code: 'moderation_blocked', message: 'x' } }), 'moderation_blocked');
    assert.equal(providerCodeFromBody({ error: { code: null, type: 'invalid_request_error' } }), 'invalid_request_error');
    assert.equal(providerCodeFromBody({ code: 'invalid_duration' }), 'invalid_duration');
    assert.equal(providerCodeFromBody({ detail: [{ type: 'content_policy_violation' }] }), 'content_policy_violation');
    assert.equal(providerCodeFromBody({ error: { code: `bad key ${KEY} here` } }), undefined);
  });

  it('merges price overrides per resolution and sound; `any` keeps an always-sound backend priced with sound', () => {
    const base = { kind: 'per-second' as const, microsPerSecond: { '720p': { off: 84_000, on: 112_000 }, '1080p': { off: 112_000 } } };
    assert.deepEqual(applyPriceOverride(base, { '1080p': { off: 120_000 }, '720p': { on: 130_000 } }), {
      kind: 'per-second',
      microsPerSecond: { '720p': { off: 84_000, on: 130_000 }, '1080p': { off: 120_000 } },
    });
    assert.deepEqual(applyPriceOverride(base, { '720p': { any: 90_000 } }).kind === 'per-second' && applyPriceOverride(base, { '720p': { any: 90_000 } }), {
      kind: 'per-second',
      microsPerSecond: { '720p': { off: 90_000, on: 90_000 }, '1080p': { off: 112_000 } },
    });
    const soundOnly = { kind: 'per-video' as const, micros: { '720p': { on: 120_000 } } };
    assert.deepEqual(applyPriceOverride(soundOnly, { '720p': { any: 100_000 }, '1080p': { any: 200_000 } }), { kind: 'per-video', micros: { '720p': { on: 100_000 }, '1080p': { on: 200_000 } } });
    assert.throws(() => applyPriceOverride(base, { '720p': { on: 1.5 } }), RangeError);
    assert.equal(applyPriceOverride(base, undefined), base);
  });
});

describe('http: against a loopback server', { timeout: 60_000 }, () => {
  let srv: Awaited<ReturnType<typeof scriptedServer>>;
  let other: Awaited<ReturnType<typeof scriptedServer>>;
  let dir: string;

  before(async () => {
    srv = await scriptedServer();
    other = await scriptedServer();
    dir = await mkdtemp(join(tmpdir(), 'http-test-'));
  });
  after(async () => {
    srv.server.closeAllConnections();
    other.server.closeAllConnections();
    srv.server.close();
    other.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const client = (clock: ManualClock | RecordingClock, extra: Partial<Parameters<typeof createProviderHttp>[0]> = {}) =>
    createProviderHttp({
      backend: 'test',
      baseUrl: `${srv.url}/v1`,
      authHeaders: { authorization: `Bearer ${KEY}` },
      clock,
      logger: silentLogger,
      random: () => 0,
      retry: { maxAttempts: 3 },
      ...extra,
    });

  it('waits out retry-after on the injected clock, not in real time', async () => {
    const manual = new ManualClock();
    const clock = new RecordingClock(manual);
    const start = manual.now();
    const before = srv.hits();
    srv.on((_req, res, hit) => (hit === before + 1 ? json(res, 429, { error: { code: 'rate_limit_exceeded' } }, { 'retry-after': '3' }) : json(res, 200, { ok: true })));
    const http = client(clock);
    let settled = false;
    const pending = http.json(okSchema, { method: 'GET', path: '/thing', operation: 'thing.get' }).finally(() => (settled = true));
    // The event: the client has had its 429 and asked the clock for the retry-after wait.
    await waitFor(() => clock.sleeps.length === 1, 'the retry-after wait');
    assert.equal(settled, false, 'the retry must wait for the clock');
    assert.equal(srv.hits() - before, 1);
    const result = await driveWhile(manual, pending);
    assert.deepEqual(result, { ok: true });
    assert.deepEqual(clock.sleeps, [3000]);
    assert.ok(manual.now() - start >= 3000);
    assert.equal(srv.hits() - before, 2);
    await http.close();
  });

  it('gives up on a 500 storm after the bounded number of attempts, with backoff between them', async () => {
    const manual = new ManualClock();
    const clock = new RecordingClock(manual);
    const before = srv.hits();
    srv.on((_req, res) => json(res, 500, { error: { code: 'server_error' } }, { 'x-request-id': 'req_storm' }));
    const http = client(clock);
    const error = await providerRejection(driveWhile(manual, http.json(okSchema, { method: 'GET', path: '/thing', operation: 'thing.get' })));
    assert.equal(error.kind, 'transient');
    assert.equal(error.status, 500);
    assert.equal(error.requestId, 'req_storm');
    assert.equal(srv.hits() - before, 3);
    // random() = 0 → half of 500·2^n.
    assert.deepEqual(clock.sleeps, [250, 500]);
    await http.close();
  });

  it('does not retry a POST without an idempotency key, and does with one', async () => {
    const manual = new ManualClock();
    srv.on((_req, res) => json(res, 503, { error: { message: 'busy' } }));
    const http = client(manual);
    let before = srv.hits();
    const once = await providerRejection(driveWhile(manual, http.json(okSchema, { method: 'POST', path: '/videos', operation: 'create', json: { a: 1 } })));
    assert.equal(once.kind, 'transient');
    assert.equal(srv.hits() - before, 1);

    before = srv.hits();
    await providerRejection(driveWhile(manual, http.json(okSchema, { method: 'POST', path: '/videos', operation: 'create', json: { a: 1 }, idempotencyKey: 'idem-1' })));
    assert.equal(srv.hits() - before, 3);
    assert.equal(srv.headers.at(-1)!['idempotency-key'], 'idem-1');
    await http.close();
  });

  it('does not wait out a retry-after longer than the cap: the caller reschedules', async () => {
    const manual = new ManualClock();
    const clock = new RecordingClock(manual);
    srv.on((_req, res) => json(res, 429, {}, { 'retry-after': '600' }));
    const http = client(clock, { retry: { maxAttempts: 3, maxRetryAfterMs: 60_000 } });
    const error = await providerRejection(http.json(okSchema, { method: 'GET', path: '/thing', operation: 'thing.get' }));
    assert.equal(error.kind, 'rate_limit');
    assert.equal(error.retryAfterMs, 600_000);
    assert.deepEqual(clock.sleeps, []);
    await http.close();
  });

  it('keeps the key out of the error message even when the provider echoes it', async () => {
    srv.on((_req, res) =>
      json(res, 401, { error: { message: `Incorrect API key provided: ${KEY}`, code: 'invalid_api_key' } }, { 'x-request-id': 'req_auth' }),
    );
    const http = client(new ManualClock());
    const error = await providerRejection(http.json(okSchema, { method: 'GET', path: '/thing', operation: 'thing.get' }));
    assert.equal(error.kind, 'auth');
    assert.equal(error.providerCode, 'invalid_api_key');
    assert.equal(error.requestId, 'req_auth');
    assert.ok(!error.message.includes(KEY));
    assert.ok(!JSON.stringify(error).includes(KEY));
    await http.close();
  });

  it('turns a headers timeout into a transient error', async () => {
    srv.on(() => undefined); // never answers
    const http = client(new ManualClock(), { timeouts: { headersMs: 100 }, retry: { maxAttempts: 1 } });
    const error = await providerRejection(http.json(okSchema, { method: 'GET', path: '/slow', operation: 'slow' }));
    assert.equal(error.kind, 'transient');
    assert.match(error.message, /UND_ERR_HEADERS_TIMEOUT/);
    await http.close();
    srv.server.closeAllConnections();
  });

  it('turns a connection reset into a transient error', async () => {
    srv.on((req) => req.socket.destroy());
    const http = client(new ManualClock(), { retry: { maxAttempts: 1 } });
    const error = await providerRejection(http.json(okSchema, { method: 'GET', path: '/reset', operation: 'reset' }));
    assert.equal(error.kind, 'transient');
    await http.close();
  });

  it('treats a response that fails its schema as transient', async () => {
    srv.on((_req, res) => json(res, 200, { ok: 'maybe' }));
    const http = client(new ManualClock());
    const error = await providerRejection(http.json(okSchema, { method: 'GET', path: '/thing', operation: 'thing.get' }));
    assert.equal(error.kind, 'transient');
    assert.match(error.message, /malformed/);
    srv.on((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>cloudflare</html>');
    });
    assert.equal((await providerRejection(http.json(okSchema, { method: 'GET', path: '/thing', operation: 'thing.get' }))).kind, 'transient');
    await http.close();
  });

  it('follows a redirect to another origin without sending the key there', async () => {
    other.on((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '4' });
      res.end('abcd');
    });
    srv.on((_req, res) => {
      res.writeHead(302, { location: `${other.url}/cdn/file.mp4?sig=1` });
      res.end();
    });
    const http = client(new ManualClock());
    const before = other.hits();
    const result = await http.stream({ method: 'GET', path: '/videos/v/content', operation: 'content' });
    const chunks: Buffer[] = [];
    for await (const c of result.body) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'abcd');
    assert.equal(result.contentType, 'video/mp4');
    assert.equal(result.contentLength, 4);
    assert.equal(other.hits() - before, 1);
    assert.equal(srv.headers.at(-1)!.authorization, `Bearer ${KEY}`);
    assert.equal(other.headers.at(-1)!.authorization, undefined);
    await http.close();
  });

  it('refuses a result above the size cap as too_large', async () => {
    srv.on((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(5_000_000) });
      res.end(Buffer.alloc(5_000_000));
    });
    const http = client(new ManualClock());
    const error = await providerRejection(http.stream({ method: 'GET', path: '/big', operation: 'content', maxBytes: 1_000_000 }));
    assert.equal(error.kind, 'too_large');
    await http.close();
  });

  it('streams a multipart file part from disk', async () => {
    const path = join(dir, 'clip.mp4');
    const bytes = Buffer.alloc(300_000, 7);
    await writeFile(path, bytes);
    srv.on((_req, res) => json(res, 200, { ok: true }));
    const http = client(new ManualClock());
    const file = await fileBlob(path, 'video/mp4');
    await http.json(okSchema, {
      method: 'POST',
      path: '/videos/characters',
      operation: 'characters.create',
      form: () => {
        const form = new FormData();
        form.append('name', 'Mascot');
        form.append('video', file.blob, file.fileName);
        return form;
      },
    });
    const body = srv.bodies.at(-1)!;
    const form = await new Response(body, { headers: { 'content-type': srv.headers.at(-1)!['content-type']! } }).formData();
    assert.equal(form.get('name'), 'Mascot');
    const video = form.get('video') as File;
    assert.equal(video.name, 'clip.mp4');
    assert.equal(video.type, 'video/mp4');
    assert.equal(video.size, bytes.length);
    await http.close();
  });

  it('lets an abort through as an abort, without retrying', async () => {
    srv.on(() => undefined);
    const manual = new ManualClock();
    const http = client(manual);
    const controller = new AbortController();
    const before = srv.hits();
    const pending = http.json(okSchema, { method: 'GET', path: '/hang', operation: 'hang', signal: controller.signal });
    await waitFor(() => srv.hits() - before === 1, 'the request to reach the server');
    controller.abort();
    await assert.rejects(pending, (error: unknown) => !(error instanceof ProviderError) && (error as Error).name === 'AbortError');
    // A retry would first wait on the client's clock; none is pending, so none can follow.
    assert.equal(manual.pendingSleeps, 0);
    assert.equal(srv.hits() - before, 1);
    await http.close();
    srv.server.closeAllConnections();
  });
});
