/**
 * The HTTP client every provider backend shares: one undici Agent per backend,
 * per-request timeouts, JSON answers parsed through a zod schema at the edge,
 * streamed downloads with a byte cap, and multipart bodies that stream from
 * disk. Failures are classified in ./errors.ts and retried by ./retry.ts.
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { Agent, FormData, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import type { Clock } from '../../core/clock.js';
import { ProviderError, type ProviderErrorKind, type UserChosenField } from '../../core/errors.js';
import type { ResultStream } from '../../core/ports.js';
import type { Logger } from '../../log.js';
import { headerValue, httpFailure, networkFailure, type ErrorAnswer, type ErrorClassification, type ErrorClassifier } from './errors.js';
import { createRetrier, DEFAULT_RETRY, parseRetryAfter, type RetryPolicy } from './retry.js';

export interface HttpTimeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /** From sending the request until the response headers arrive. */
  headersMs: number;
  /** Longest silence between two body chunks (not the whole download). */
  bodyMs: number;
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 60_000 };

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
  /** The provider's own error table, read before the generic status rules. */
  classify?: ErrorClassifier;
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
  /** Extra request headers for this call (e.g. fal's `x-fal-object-lifecycle-preference` on a submit). */
  headers?: Record<string, string>;
  /**
   * Lets one call read its provider's own error vocabulary (body fields, headers) and refine the
   * kind chosen so far (e.g. whose fault a 422 is); `replay: false` stops this layer from retrying.
   */
  refine?: (answer: ErrorAnswer) => ErrorClassification | undefined;
  /** Which provider parameters carry the user's choices, when they differ from the usual names. */
  userParams?: Readonly<Record<string, UserChosenField>>;
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

/**
 * A file part that streams from disk when the request body is written:
 * `openAsBlob` is backed by the file, so a 50 MB clip never sits in memory.
 */
export async function fileBlob(path: string, type: string): Promise<{ blob: Blob; fileName: string }> {
  const blob = await openAsBlob(path, { type });
  return { blob, fileName: basename(path) };
}

export { FormData };

const ERROR_BODY_LOG_LIMIT = 2_000;
/** Sockets per provider origin; see the Agent below. */
export const PROVIDER_CONNECTIONS_PER_ORIGIN = 32;

export function createProviderHttp(options: ProviderHttpOptions): ProviderHttp {
  const timeouts: HttpTimeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
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
  const retrier = createRetrier({
    policy: { ...DEFAULT_RETRY, ...options.retry },
    random: options.random ?? Math.random,
    clock: options.clock,
    logger: log,
  });

  const resolve = (path: string, query?: Record<string, string>): URL => {
    const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(path.replace(/^\//, ''), base);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    return url;
  };

  const headersFor = (call: ProviderCall, url: URL, extra: Record<string, string>): Record<string, string> => {
    const headers: Record<string, string> = { 'user-agent': 'sora-team-bot', ...call.headers, ...extra };
    const sameOrigin = url.origin === base.origin;
    // Auth only goes to the provider's own origin: a result URL may point at a CDN that must never see our key.
    if (call.auth ?? sameOrigin) Object.assign(headers, options.authHeaders);
    if (call.idempotencyKey !== undefined) headers['idempotency-key'] = call.idempotencyKey;
    return headers;
  };

  const withRetries = <T>(call: ProviderCall, attempt: () => Promise<T>): Promise<T> =>
    retrier.run(call, attempt, (error) => networkFailure(backend, call.operation, error));

  const httpError = async (call: ProviderCall, response: Dispatcher.ResponseData): Promise<ProviderError> => {
    let text = '';
    try {
      text = await response.body.text();
    } catch {
      // A body that fails to arrive changes nothing about the status we already have.
    }
    const error = httpFailure({
      backend,
      operation: call.operation,
      status: response.statusCode,
      text,
      headers: response.headers,
      ...(call.statusKinds && { statusKinds: call.statusKinds }),
      ...(options.classify && { classify: options.classify }),
      ...(call.refine && { refine: call.refine, doNotReplay: (e: ProviderError) => void retrier.doNotReplay(e) }),
      ...(call.userParams && { userParams: call.userParams }),
      retryAfterMs: (kind) =>
        kind === 'rate_limit' || kind === 'transient' ? parseRetryAfter(response.headers, options.clock.now()) : undefined,
    });
    // The body may echo our request (and with it the key); it goes to the log, which scrubs
    // literal secrets, and never into the error message.
    const detail = { operation: call.operation, status: error.status, code: error.providerCode, requestId: error.requestId, body: text.slice(0, ERROR_BODY_LOG_LIMIT) };
    if (error.kind === 'rejected_request') {
      // The provider refused a request the bot built: a bug to fix, so the team must see it.
      log.error(detail, 'provider rejected the request the bot built');
    } else {
      log.debug(detail, 'provider answered with an error');
    }
    return error;
  };

  const send = (call: ProviderCall, url: URL, extraHeaders: Record<string, string>, body: string | FormData | undefined) =>
    request(url, {
      dispatcher,
      method: call.method,
      headers: headersFor(call, url, extraHeaders),
      body: body ?? null,
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
      signal: call.signal ?? null,
    });

  const malformed = (call: ProviderCall, requestId: string | undefined): ProviderError =>
    // The provider answered, just not in the shape we know: asking again at once rarely
    // helps, and for a POST it may already have acted. The caller's next poll is the retry.
    retrier.doNotReplay(
      new ProviderError({
        kind: 'transient',
        backend,
        message: `${backend} ${call.operation}: malformed response`,
        ...(requestId !== undefined && { requestId }),
      }),
    );

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
      const response = await send(call, url, extra, body);
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

  const tooLarge = (call: StreamCall, bytes: number | undefined): ProviderError =>
    new ProviderError({
      kind: 'too_large',
      backend,
      message: `${backend} ${call.operation}: result ${bytes !== undefined ? `of ${bytes} bytes ` : ''}exceeds ${call.maxBytes} bytes`,
    });

  const stream = async (call: StreamCall): Promise<ResultStream> => {
    const maxRedirects = call.maxRedirects ?? 5;
    return withRetries(call, async () => {
      let url = resolve(call.path, call.query);
      for (let hop = 0; ; hop++) {
        const response = await send(call, url, {}, undefined);
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
