/**
 * fal webhooks (https://docs.fal.ai/model-apis/model-endpoints/webhooks): an Ed25519 signature (hex, header
 * `X-Fal-Webhook-Signature`) over
 *   `${request_id}\n${user_id}\n${timestamp}\n${sha256hex(body)}`
 * with the ids and timestamp from the `X-Fal-Webhook-Request-Id`, `-User-Id`
 * and `-Timestamp` headers, checked against any key in fal's JWKS. The JWKS
 * URL is configurable (FAL_WEBHOOK_JWKS_URL) and cached; an unknown signature
 * refreshes it at most once a minute, so a key rotation is picked up.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { request } from 'undici';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { falWebhookStatus } from '../backends/fal.js';
import { WebhookRejected, type RequestHeaders, type VerifiedDelivery, type WebhookReceiver } from './types.js';

const jwksSchema = z.object({
  keys: z.array(z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string().min(1) }).passthrough()).min(1),
});

export const falWebhookBodySchema = z.object({
  request_id: z.string().min(1),
  gateway_request_id: z.string().nullish(),
  status: z.enum(['OK', 'ERROR']),
  payload: z.unknown().optional(),
  error: z.string().nullish(),
  payload_error: z.string().nullish(),
});

/** The message fal signs. */
export function falSignedMessage(requestId: string, userId: string, timestamp: string, body: Buffer | string): Buffer {
  return Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${createHash('sha256').update(body).digest('hex')}`, 'utf8');
}

export interface FalJwksCache {
  keys(forceRefresh?: boolean): Promise<KeyObject[]>;
}

/** Keys are kept for `ttlMs` (fal suggests caching up to a day); forced refreshes are spaced a minute apart. */
export function createFalJwksCache(url: string, clock: Clock, ttlMs = 24 * 60 * 60_000): FalJwksCache {
  let cached: { keys: KeyObject[]; at: number } | undefined;
  let lastForced = -Infinity;
  let inflight: Promise<KeyObject[]> | undefined;
  const fetchKeys = async (): Promise<KeyObject[]> => {
    const response = await request(url, { method: 'GET', headersTimeout: 10_000, bodyTimeout: 10_000 });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`JWKS ${url} answered HTTP ${response.statusCode}`);
    }
    const jwks = jwksSchema.parse(await response.body.json());
    const keys = jwks.keys.map((k) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: k.x }, format: 'jwk' }));
    cached = { keys, at: clock.now() };
    return keys;
  };
  return {
    async keys(forceRefresh = false) {
      const now = clock.now();
      const fresh = cached && now - cached.at < ttlMs;
      if (fresh && !(forceRefresh && now - lastForced >= 60_000)) return cached!.keys;
      if (forceRefresh) lastForced = now;
      inflight ??= fetchKeys().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
  };
}

function one(headers: RequestHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function createFalWebhookReceiver(backendId: string, jwks: FalJwksCache): WebhookReceiver {
  return {
    async verify(headers, body): Promise<VerifiedDelivery> {
      const requestId = one(headers, 'x-fal-webhook-request-id');
      const userId = one(headers, 'x-fal-webhook-user-id');
      const timestamp = one(headers, 'x-fal-webhook-timestamp');
      const signature = one(headers, 'x-fal-webhook-signature');
      if (!requestId || !userId || !timestamp || !signature) throw new WebhookRejected(400, 'missing fal webhook headers');
      if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookRejected(400, 'malformed fal webhook timestamp');
      if (!/^[0-9a-f]+$/i.test(signature) || signature.length !== 128) throw new WebhookRejected(401, 'malformed fal webhook signature');
      const message = falSignedMessage(requestId, userId, timestamp, body);
      const sig = Buffer.from(signature, 'hex');
      const check = (keys: KeyObject[]) => keys.some((key) => verify(null, message, key, sig));
      let ok: boolean;
      try {
        ok = check(await jwks.keys()) || check(await jwks.keys(true));
      } catch (error) {
        // Without keys nothing can be verified; 503 makes fal retry later (it retries for 2 hours).
        throw new WebhookRejected(503, `fal JWKS unavailable: ${(error as Error).message}`);
      }
      if (!ok) throw new WebhookRejected(401, 'signature mismatch');
      // fal sends no delivery id; the signed request id and timestamp identify one delivery.
      return { deliveryId: `${requestId}:${timestamp}`, timestampSeconds: Number(timestamp) };
    },
    parse(body, headers) {
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new WebhookRejected(400, 'body is not JSON');
      }
      const parsed = falWebhookBodySchema.safeParse(json);
      if (!parsed.success) throw new WebhookRejected(400, 'body does not match the fal webhook shape');
      // The signature covers the header's request id; the body must be about the same request.
      if (parsed.data.request_id !== one(headers, 'x-fal-webhook-request-id')) throw new WebhookRejected(400, 'request id mismatch');
      return { providerJobId: parsed.data.request_id, status: falWebhookStatus(backendId, parsed.data) };
    },
  };
}
