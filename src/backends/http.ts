/**
 * The HTTP layer every provider backend shares: one undici Agent per backend,
 * per-request timeouts, bounded retries with backoff that wait on the injected
 * Clock, and the translation of HTTP failures into `ProviderError` kinds.
 *
 * Backends describe *what* to call; this file decides *whether* a failure is
 * worth another attempt, so the retry rules live in one place:
 * - GET/DELETE are retried on transient failures and 429s.
 * - POST is retried only when it carries an `Idempotency-Key`: without one a
 *   retried submit can create (and bill) a second video.
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { Agent, FormData, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { isAbortError, ProviderError, type ProviderErrorKind } from '../core/errors.js';
import type { ResultStream } from '../core/ports.js';
import type { PriceModel, Quality } from '../core/types.js';
import type { Micros } from '../core/money.js';
import type { Logger } from '../log.js';

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

export interface HttpTimeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /** From sending the request until the response headers arrive. */
  headersMs: number;
  /** Longest silence between two body chunks (not the whole download). */
  bodyMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 60_000 };

export interface RetryPolicy {
  /** Total attempts including the first. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * A `retry-after` longer than this is not waited out here: the error goes up
   * as `rate_limit` with `retryAfterMs` so the job runner can reschedule
   * instead of holding a request open for minutes.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

export interface ProviderHttpOptions {
  /** Backend id, stamped on every ProviderError. */
  backend: string;
  baseUrl: string;
  /** Sent on every request to the provider's own origin, never to foreign origins. */
  authHeaders: Record<string, string>;
  clock: Clock;
  logger: Logger;
  timeouts?: Partial<HttpTimeouts>;
  retry?: Partial<RetryPolicy>;
  /** Jitter source; tests pass a constant. */
  random?: () => number;
  /** Defaults to a private Agent closed by `close()`. */
  dispatcher?: Dispatcher;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE' | 'PUT';

export interface ProviderCall {
  method: HttpMethod;
  /** Relative to the base URL (`/videos/abc`), or an absolute URL. */
  path: string;
  /** Short name for logs and error messages, e.g. `videos.create`. */
  operation: string;
  query?: Record<string, string>;
  idempotencyKey?: string;
  signal?: AbortSignal;
  /** Per-call overrides of the status → kind mapping (a 404 on a download means `expired`). */
  statusKinds?: Partial<Record<number, ProviderErrorKind>>;
  /** Attach the auth headers (default: only when the URL is on the base URL's origin). */
  auth?: boolean;
}

export interface JsonCall extends ProviderCall {
  json?: unknown;
  /** Built per attempt: a multipart body is a stream and cannot be replayed. */
  form?: () => Promise<FormData> | FormData;
}

export interface StreamCall extends ProviderCall {
  /** Refuse results above this many bytes (`too_large`). */
  maxBytes?: number;
  maxRedirects?: number;
}

export interface ProviderHttp {
  readonly baseUrl: string;
  /** Sends a request and parses a JSON answer through `schema`. */
  json<S extends z.ZodType>(schema: S, call: JsonCall): Promise<z.infer<S>>;
  /** Opens a (possibly redirected) download as a Node stream without buffering it. */
  stream(call: StreamCall): Promise<ResultStream>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Failure classification
// ---------------------------------------------------------------------------

/** Codes providers use for safety blocks. `moderation_blocked` is OpenAI's (observed); fal uses `content_policy_violation`. */
const MODERATION_CODES = new Set([
  'moderation_blocked',
  'content_policy_violation',
  'content_filter',
  'content_violation',
  'safety_violation',
  'moderation',
]);

/** Out-of-credit codes. OpenAI answers `insufficient_quota` with HTTP 429, which must not be retried. */
const QUOTA_CODES = new Set([
  'insufficient_quota',
  'billing_hard_limit_reached',
  'quota_exceeded',
  'insufficient_balance',
  'insufficient_credits',
  'payment_required',
]);

/** Provider codes are echoed into logs and errors; keep only plain identifiers so no free text (or key) rides along. */
export function safeProviderCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : undefined;
}

/** Extracts an error code from the error-body shapes we meet: OpenAI `{error:{code,type}}`, `{code}`, fal `{detail:[{type}]}`. */
export function providerCodeFromBody(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  const error = record.error;
  if (error && typeof error === 'object') {
    const e = error as Record<string, unknown>;
    return safeProviderCode(e.code) ?? safeProviderCode(e.type);
  }
  const direct = safeProviderCode(record.code) ?? safeProviderCode(record.type);
  if (direct) return direct;
  if (Array.isArray(record.detail)) {
    for (const d of record.detail) {
      const code = d && typeof d === 'object' ? safeProviderCode((d as Record<string, unknown>).type) : undefined;
      if (code) return code;
    }
  }
  return undefined;
}

/** Maps a provider error code (from an HTTP body or a failed job) to a kind, when the code alone decides. */
export function kindForProviderCode(code: string | undefined): ProviderErrorKind | undefined {
  if (!code) return undefined;
  const c = code.toLowerCase();
  if (MODERATION_CODES.has(c)) return 'moderation';
  if (QUOTA_CODES.has(c)) return 'quota';
  return undefined;
}

export function kindForHttpStatus(status: number, code: string | undefined): ProviderErrorKind {
  const byCode = kindForProviderCode(code);
  if (byCode) return byCode;
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota';
  if (status === 429) return 'rate_limit';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 408 || status === 425 || status >= 500) return 'transient';
  // 400, 409, 422 and any other 4xx: the request itself is wrong.
  return 'invalid_input';
}

/** Network-level failures that are worth another attempt (undici and Node socket codes). */
const TRANSIENT_NETWORK_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_REQ_RETRY',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Retry timing
// ---------------------------------------------------------------------------

/**
 * Reads the provider's wait hint. OpenAI sends `retry-after-ms` (milliseconds)
 * next to the standard `retry-after` (delta-seconds or an HTTP date); the
 * millisecond form is the more precise and wins.
 */
export function parseRetryAfter(
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): number | undefined {
  const header = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const ms = header('retry-after-ms');
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const after = header('retry-after');
  if (after === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(after)) return Math.ceil(Number(after) * 1000);
  const at = Date.parse(after);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries of many jobs spread out. */
export function backoffDelay(failedAttempt: number, policy: RetryPolicy, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

function isReplayable(call: ProviderCall): boolean {
  if (call.method === 'GET' || call.method === 'DELETE' || call.method === 'PUT') return true;
  return call.idempotencyKey !== undefined;
}

// ---------------------------------------------------------------------------
// Multipart
// ---------------------------------------------------------------------------

/**
 * A file part that streams from disk when the request body is written:
 * `openAsBlob` is backed by the file, so a 50 MB clip never sits in memory.
 */
export async function fileBlob(path: string, type: string): Promise<{ blob: Blob; fileName: string }> {
  const blob = await openAsBlob(path, { type });
  return { blob, fileName: basename(path) };
}

export { FormData };

// ---------------------------------------------------------------------------
// Prices
// ---------------------------------------------------------------------------

/** A partial price list from configuration; missing entries keep the backend's defaults. */
export interface PriceOverride {
  kind?: PriceModel['kind'];
  microsPerSecond?: Partial<Record<Quality, Micros>>;
  micros?: Partial<Record<Quality, Micros>>;
}

/**
 * Merges an operator's price override into a backend's default price model.
 * Switching the model kind (per-second → per-video) needs both qualities,
 * because there is no default to fall back on.
 */
export function applyPriceOverride(base: PriceModel, override: PriceOverride | undefined): PriceModel {
  if (!override) return base;
  const kind = override.kind ?? base.kind;
  const pick = (
    given: Partial<Record<Quality, Micros>> | undefined,
    fallback: Record<Quality, Micros> | undefined,
  ): Record<Quality, Micros> => {
    const standard = given?.standard ?? fallback?.standard;
    const high = given?.high ?? fallback?.high;
    if (standard === undefined || high === undefined) {
      throw new RangeError(`price override for a ${kind} model needs both standard and high prices`);
    }
    for (const v of [standard, high]) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`price must be whole micro-dollars, got ${v}`);
    }
    return { standard, high };
  };
  if (kind === 'per-second') {
    return { kind, microsPerSecond: pick(override.microsPerSecond, base.kind === 'per-second' ? base.microsPerSecond : undefined) };
  }
  return { kind, micros: pick(override.micros, base.kind === 'per-video' ? base.micros : undefined) };
}

// ---------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------

const ERROR_BODY_LOG_LIMIT = 2_000;
/** Sockets per provider origin; see the Agent below. */
export const PROVIDER_CONNECTIONS_PER_ORIGIN = 32;

interface Attempted {
  response: Dispatcher.ResponseData;
  url: URL;
}

export function createProviderHttp(options: ProviderHttpOptions): ProviderHttp {
  const timeouts: HttpTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const random = options.random ?? Math.random;
  // A bounded pool per provider origin: without `connections` undici opens one socket per concurrent
  // request, so 10,000 jobs polling at once meant thousands of sockets (and their buffers) on both
  // ends. Requests beyond the pool wait in undici's queue, which for status polls costs milliseconds.
  const ownAgent = options.dispatcher
    ? undefined
    : new Agent({ connect: { timeout: timeouts.connectMs }, connections: PROVIDER_CONNECTIONS_PER_ORIGIN });
  const dispatcher: Dispatcher = options.dispatcher ?? ownAgent!;
  const log = options.logger.child({ backend: options.backend });
  const base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
  const backend = options.backend;
  const notReplayed = new WeakSet<ProviderError>();

  const resolve = (path: string, query?: Record<string, string>): URL => {
    const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(path.replace(/^\//, ''), base);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    return url;
  };

  const headersFor = (call: ProviderCall, url: URL, extra: Record<string, string>): Record<string, string> => {
    const headers: Record<string, string> = { 'user-agent': 'sora-team-bot', ...extra };
    const sameOrigin = url.origin === base.origin;
    // Auth only goes to the provider's own origin: a result URL may point at a CDN that must never see our key.
    if (call.auth ?? sameOrigin) Object.assign(headers, options.authHeaders);
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
    return headers;
  };

  const networkError = (call: ProviderCall, error: unknown): ProviderError => {
    const code = networkErrorCode(error);
    const known = code !== undefined && TRANSIENT_NETWORK_CODES.has(code);
    return new ProviderError({
      kind: 'transient',
      backend,
      message: `${backend} ${call.operation}: ${known ? code : 'network failure'}`,
      cause: error,
    });
  };

  const httpError = async (call: ProviderCall, response: Dispatcher.ResponseData): Promise<ProviderError> => {
    let text = '';
    try {
      text = await response.body.text();
    } catch {
      // A body that fails to arrive changes nothing about the status we already have.
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const code = providerCodeFromBody(parsed);
    const status = response.statusCode;
    const kind = call.statusKinds?.[status] ?? kindForHttpStatus(status, code);
    const requestId = headerValue(response.headers, 'x-request-id');
    const retryAfterMs =
      kind === 'rate_limit' || kind === 'transient' ? parseRetryAfter(response.headers, options.clock.now()) : undefined;
    // The body may echo our request (and with it the key); it goes to the debug log, which
    // scrubs literal secrets, and never into the error message.
    log.debug(
      { operation: call.operation, status, code, requestId, body: text.slice(0, ERROR_BODY_LOG_LIMIT) },
      'provider answered with an error',
    );
    return new ProviderError({
      kind,
      backend,
      message: `${backend} ${call.operation}: HTTP ${status}${code ? ` (${code})` : ''}`,
      status,
      ...(code !== undefined && { providerCode: code }),
      ...(retryAfterMs !== undefined && { retryAfterMs }),
      ...(requestId !== undefined && { requestId }),
    });
  };

  /**
   * Runs `attempt` until it succeeds or fails for good. `attempt` throws
   * ProviderError for provider answers and anything else for network errors.
   */
  const withRetries = async <T>(call: ProviderCall, attempt: () => Promise<T>): Promise<T> => {
    for (let n = 1; ; n++) {
      let failure: ProviderError;
      try {
        return await attempt();
      } catch (error) {
        if (call.signal?.aborted || isAbortError(error)) throw error;
        failure = error instanceof ProviderError ? error : networkError(call, error);
      }
      const canRetry = failure.retryable && !notReplayed.has(failure) && isReplayable(call) && n < retry.maxAttempts;
      if (!canRetry) throw failure;
      if (failure.retryAfterMs !== undefined && failure.retryAfterMs > retry.maxRetryAfterMs) throw failure;
      const delay = failure.retryAfterMs ?? backoffDelay(n, retry, random);
      log.debug(
        { operation: call.operation, attempt: n, kind: failure.kind, status: failure.status, delayMs: delay },
        'retrying provider call',
      );
      await options.clock.sleep(delay, call.signal);
    }
  };

  const send = async (
    call: ProviderCall,
    url: URL,
    extraHeaders: Record<string, string>,
    body: string | FormData | undefined,
  ): Promise<Attempted> => {
    const response = await request(url, {
      dispatcher,
      method: call.method,
      headers: headersFor(call, url, extraHeaders),
      body: body ?? null,
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
      signal: call.signal ?? null,
    });
    return { response, url };
  };

  const json = async <S extends z.ZodType>(schema: S, call: JsonCall): Promise<z.infer<S>> => {
    const url = resolve(call.path, call.query);
    return withRetries(call, async () => {
      let body: string | FormData | undefined;
      const extra: Record<string, string> = { accept: 'application/json' };
      if (call.form) {
        body = await call.form();
      } else if (call.json !== undefined) {
        body = JSON.stringify(call.json);
        extra['content-type'] = 'application/json';
      }
      const { response } = await send(call, url, extra, body);
      if (response.statusCode < 200 || response.statusCode >= 300) throw await httpError(call, response);
      const text = await response.body.text();
      const requestId = headerValue(response.headers, 'x-request-id');
      let value: unknown;
      try {
        value = text.length === 0 ? {} : JSON.parse(text);
      } catch {
        log.warn({ operation: call.operation, status: response.statusCode, requestId }, 'provider sent a body that is not JSON');
        throw malformed(call, requestId);
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) {
        log.warn(
          { operation: call.operation, requestId, issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`) },
          'provider response did not match the expected shape',
        );
        throw malformed(call, requestId);
      }
      return parsed.data;
    });
  };

  const malformed = (call: ProviderCall, requestId: string | undefined): ProviderError => {
    const error = new ProviderError({
      kind: 'transient',
      backend,
      message: `${backend} ${call.operation}: malformed response`,
      ...(requestId !== undefined && { requestId }),
    });
    // The provider answered, just not in the shape we know: asking again at once rarely
    // helps, and for a POST it may already have acted. The caller's next poll is the retry.
    notReplayed.add(error);
    return error;
  };

  const stream = async (call: StreamCall): Promise<ResultStream> => {
    const maxRedirects = call.maxRedirects ?? 5;
    return withRetries(call, async () => {
      let url = resolve(call.path, call.query);
      for (let hop = 0; ; hop++) {
        const { response } = await send(call, url, {}, undefined);
        const status = response.statusCode;
        if (status >= 300 && status < 400 && status !== 304) {
          const location = headerValue(response.headers, 'location');
          await response.body.dump();
          if (!location || hop >= maxRedirects) {
            throw new ProviderError({ kind: 'transient', backend, status, message: `${backend} ${call.operation}: too many or empty redirects` });
          }
          // Redirects are followed by hand so that auth is dropped when the target leaves the provider's origin.
          url = new URL(location, url);
          continue;
        }
        if (status < 200 || status >= 300) throw await httpError(call, response);
        const lengthHeader = headerValue(response.headers, 'content-length');
        const contentLength = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
        if (call.maxBytes !== undefined && contentLength !== undefined && contentLength > call.maxBytes) {
          response.body.destroy();
          throw tooLarge(call, contentLength);
        }
        let body: Readable = response.body;
        if (call.maxBytes !== undefined) {
          const limited = byteLimit(call.maxBytes, () => tooLarge(call, undefined));
          // pipeline, not pipe: a consumer that destroys the returned stream must also
          // abort the download, or the socket stays busy and the Agent never closes.
          pipeline(response.body, limited, () => undefined);
          body = limited;
        }
        return { body, contentLength, contentType: headerValue(response.headers, 'content-type') };
      }
    });
  };

  const tooLarge = (call: ProviderCall, bytes: number | undefined): ProviderError =>
    new ProviderError({
      kind: 'too_large',
      backend,
      message: `${backend} ${call.operation}: result ${bytes !== undefined ? `of ${bytes} bytes ` : ''}exceeds ${(call as StreamCall).maxBytes} bytes`,
    });

  return {
    baseUrl: base.toString(),
    json,
    stream,
    async close() {
      await ownAgent?.close();
    },
  };
}

/** Fails the stream once more than `limit` bytes went through (for results sent without a content-length). */
function byteLimit(limit: number, error: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limit) callback(error());
      else callback(null, chunk);
    },
  });
}

export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
