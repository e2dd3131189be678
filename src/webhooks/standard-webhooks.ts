/**
 * Standard Webhooks (standardwebhooks.com), the scheme OpenAI signs its
 * `video.completed` / `video.failed` events with (https://platform.openai.com/docs/guides/video-generation):
 *   webhook-id, webhook-timestamp (unix seconds), webhook-signature ("v1,<base64>" …, space-separated)
 *   signature = base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), key = base64 after `whsec_`.
 * Implemented with node:crypto: the spec is a dozen lines, and the reference
 * `standardwebhooks` package would add a dependency for exactly this.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookRejected, type VerifiedDelivery } from './types.js';

export function standardWebhookKey(secret: string): Buffer {
  const raw = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  const key = Buffer.from(raw, 'base64');
  if (key.length === 0) throw new Error('a Standard Webhooks secret must be whsec_ followed by base64');
  return key;
}

export function signStandardWebhook(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', standardWebhookKey(secret)).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** Checks the signature only; the dispatcher checks the timestamp window and replays. */
export function verifyStandardWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: Buffer): VerifiedDelivery {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const id = one('webhook-id');
  const timestamp = one('webhook-timestamp');
  const signatures = one('webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookRejected(400, 'missing Standard Webhooks headers');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookRejected(400, 'malformed webhook-timestamp');
  const expected = Buffer.from(signStandardWebhook(secret, id, Number(timestamp), body).slice(3), 'base64');
  // Several signatures may be sent during key rotation; any valid v1 one is enough.
  const ok = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!ok) throw new WebhookRejected(401, 'signature mismatch');
  return { deliveryId: id, timestampSeconds: Number(timestamp) };
}
