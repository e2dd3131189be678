/**
 * `POST /webhooks/{backend}`: verify, reject stale and replayed deliveries,
 * then hand the event to the job's loop exactly once.
 *
 * - Stale: a timestamp more than 5 minutes from our clock is refused (Standard
 *   Webhooks' and fal's recommended tolerance), so a captured delivery cannot be
 *   replayed later.
 * - Replayed: each delivery id is remembered (core/ports.ts `SeenKeys`) for
 *   longer than that window, so a copy sent inside the window has no effect
 *   either, whichever replica it reaches.
 * - A lost webhook costs only time: the job runner keeps a slow safety poll.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../core/clock.js';
import type { ProviderStatus, SeenKeys } from '../core/ports.js';
import { readBody, sendJson, type RouteHandler } from '../http/server.js';
import type { Logger } from '../log.js';
import { WebhookRejected, type WebhookReceiver } from './types.js';

export const WEBHOOK_TOLERANCE_MS = 5 * 60_000;
/** Longer than the tolerance on both sides, so no accepted timestamp outlives its memory. */
const SEEN_TTL_MS = 3 * WEBHOOK_TOLERANCE_MS;
const MAX_WEBHOOK_BYTES = 1024 * 1024;

export interface WebhookDispatcherOptions {
  receivers: ReadonlyMap<string, WebhookReceiver>;
  seen: SeenKeys;
  clock: Clock;
  logger: Logger;
  /** `studio.providerEvent`: true when a live job took the event. */
  onEvent: (backend: string, providerJobId: string, status: ProviderStatus | undefined) => boolean;
}

export type WebhookOutcome = 'accepted' | 'duplicate';

export function createWebhookHandler(options: WebhookDispatcherOptions): RouteHandler & { prefix: string } {
  const log = options.logger.child({ component: 'webhooks' });

  const handle = async (backend: string, headers: IncomingMessage['headers'], body: Buffer): Promise<WebhookOutcome> => {
    const receiver = options.receivers.get(backend);
    if (!receiver) throw new WebhookRejected(404, 'no webhook receiver for this backend');
    const delivery = await receiver.verify(headers, body);
    if (Math.abs(options.clock.now() - delivery.timestampSeconds * 1000) > WEBHOOK_TOLERANCE_MS) {
      throw new WebhookRejected(401, 'timestamp outside the 5-minute window');
    }
    const event = receiver.parse(body, headers);
    const seenKey = `webhooks:seen:${backend}:${delivery.deliveryId}`;
    // Two copies arriving together: `first` is true for exactly one of them.
    if (!(await options.seen.first(seenKey, SEEN_TTL_MS))) return 'duplicate';
    const taken = options.onEvent(backend, event.providerJobId, event.status);
    log.info({ backend, providerJobId: event.providerJobId, state: event.status?.state, taken }, 'webhook accepted');
    return 'accepted';
  };

  const handler = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const backend = decodeURIComponent(url.pathname.slice('/webhooks/'.length)).replace(/\/+$/, '');
    let body: Buffer;
    try {
      body = await readBody(req, MAX_WEBHOOK_BYTES);
    } catch {
      return sendJson(res, 413, { error: 'body too large' });
    }
    try {
      const outcome = await handle(backend, req.headers, body);
      // A duplicate gets 200 too: the sender should stop retrying, and nothing happens twice.
      sendJson(res, 200, { ok: true, outcome });
    } catch (error) {
      if (!(error instanceof WebhookRejected)) throw error;
      log.warn({ backend, status: error.status, reason: error.reason }, 'webhook rejected');
      sendJson(res, error.status, { error: error.reason });
    }
  };
  return Object.assign(handler, { prefix: '/webhooks/' });
}
