/**
 * Whether and when a failed provider call is tried again. The rules live here
 * once for every backend:
 * - GET/DELETE/PUT are retried on transient failures and 429s.
 * - POST is retried only when it carries an `Idempotency-Key`: without one a
 *   retried submit can create (and bill) a second video.
 * Waits go through the injected Clock, so tests drive them without sleeping.
 */
import type { Clock } from '../../core/clock.js';
import { isAbortError, ProviderError } from '../../core/errors.js';
import type { Logger } from '../../log.js';

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

export interface RetriedCall {
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  operation: string;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export function isReplayable(call: RetriedCall): boolean {
  if (call.method === 'GET' || call.method === 'DELETE' || call.method === 'PUT') return true;
  return call.idempotencyKey !== undefined;
}

export interface Retrier {
  /**
   * Runs `attempt` until it succeeds or fails for good. `attempt` throws
   * ProviderError for provider answers and anything else for network errors,
   * which `toProviderError` turns into one.
   */
  run<T>(call: RetriedCall, attempt: () => Promise<T>, toProviderError: (error: unknown) => ProviderError): Promise<T>;
  /** Marks an error that must go up at once even though its kind is retryable. */
  doNotReplay(error: ProviderError): ProviderError;
}

export function createRetrier(options: { policy: RetryPolicy; random: () => number; clock: Clock; logger: Logger }): Retrier {
  const { policy, random, clock, logger: log } = options;
  const notReplayed = new WeakSet<ProviderError>();
  return {
    doNotReplay(error) {
      notReplayed.add(error);
      return error;
    },
    async run(call, attempt, toProviderError) {
      for (let n = 1; ; n++) {
        let failure: ProviderError;
        try {
          return await attempt();
        } catch (error) {
          if (call.signal?.aborted || isAbortError(error)) throw error;
          failure = error instanceof ProviderError ? error : toProviderError(error);
        }
        const canRetry = failure.retryable && !notReplayed.has(failure) && isReplayable(call) && n < policy.maxAttempts;
        if (!canRetry) throw failure;
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxRetryAfterMs) throw failure;
        const delay = failure.retryAfterMs ?? backoffDelay(n, policy, random);
        log.debug(
          { operation: call.operation, attempt: n, kind: failure.kind, status: failure.status, delayMs: delay },
          'retrying provider call',
        );
        await clock.sleep(delay, call.signal);
      }
    },
  };
}
