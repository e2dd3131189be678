/**
 * What every HTTP provider backend shares: the options they all take, the
 * client built from them, and the download of a finished video.
 */
import type { Clock } from '../../core/clock.js';
import { ProviderError } from '../../core/errors.js';
import type { ResultStream } from '../../core/ports.js';
import type { PriceOverride } from '../../core/pricing.js';
import type { Logger } from '../../log.js';
import { createProviderHttp, type HttpTimeouts, type ProviderHttp } from './client.js';
import type { ErrorClassifier } from './errors.js';
import type { RetryPolicy } from './retry.js';

export interface BackendHttpOptions {
  clock: Clock;
  logger: Logger;
  priceOverrides?: PriceOverride;
  timeouts?: Partial<HttpTimeouts>;
  retry?: Partial<RetryPolicy>;
  /** Results above this size are refused with `too_large` before they are downloaded. */
  maxResultBytes?: number;
  displayName?: string;
  /** Jitter source for retries; tests pass a constant. */
  random?: () => number;
}

/** The backend's HTTP client: its id on every error, its base URL, its auth headers (sent only to its own origin). */
export function backendHttp(
  options: BackendHttpOptions,
  provider: { backend: string; baseUrl: string; authHeaders: Record<string, string>; classify?: ErrorClassifier },
): ProviderHttp {
  return createProviderHttp({
    ...provider,
    clock: options.clock,
    logger: options.logger,
    ...(options.timeouts && { timeouts: options.timeouts }),
    ...(options.retry && { retry: options.retry }),
    ...(options.random && { random: options.random }),
  });
}

/**
 * Opens a finished video for download. A result link that went stale answers
 * 403 (signed object-store URLs), 404 or 410: that means `expired`, not "never
 * existed", so the job runner asks for a fresh link or tells the user the
 * video expired. `alsoExpired` adds statuses a provider uses the same way.
 */
export function downloadResult(
  http: ProviderHttp,
  options: BackendHttpOptions,
  url: string,
  call: { operation?: string; query?: Record<string, string>; alsoExpired?: number[]; signal?: AbortSignal | undefined } = {},
): Promise<ResultStream> {
  const statusKinds = Object.fromEntries([403, 404, 410, ...(call.alsoExpired ?? [])].map((s) => [s, 'expired' as const]));
  return http.stream({
    method: 'GET',
    path: url,
    operation: call.operation ?? 'video.download',
    statusKinds,
    ...(call.query && { query: call.query }),
    ...(options.maxResultBytes !== undefined && { maxBytes: options.maxResultBytes }),
    ...(call.signal && { signal: call.signal }),
  });
}

/**
 * Downloads from a result link that may have gone stale since it was read:
 * uses the remembered link when there is one, and on `expired` asks the
 * provider once for a freshly signed link (only when it differs).
 */
export async function downloadFreshest(
  remembered: string | undefined,
  readFresh: () => Promise<string>,
  download: (url: string) => Promise<ResultStream>,
): Promise<ResultStream> {
  const url = remembered ?? (await readFresh());
  try {
    return await download(url);
  } catch (error) {
    if (!(error instanceof ProviderError) || error.kind !== 'expired') throw error;
    const again = await readFresh();
    if (again === url) throw error;
    return download(again);
  }
}
