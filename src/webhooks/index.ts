/**
 * Which backends take webhooks, and how each is verified. Mounted by mount.ts on
 * the bot's HTTP server at `/webhooks/{backend}`.
 */
import type { Clock } from '../core/clock.js';
import type { Backend } from '../core/ports.js';
import { createFalJwksCache, createFalWebhookReceiver } from './fal.js';
import { createOpenAiWebhookReceiver } from './openai.js';
import type { WebhookReceiver } from './types.js';

export { createWebhookHandler, WEBHOOK_TOLERANCE_MS } from './dispatch.js';
export type { WebhookReceiver } from './types.js';

export interface WebhookSettings {
  /** Where fal's public keys live (FAL_WEBHOOK_JWKS_URL, or the simulator's). */
  falJwksUrl: string;
  /** Standard Webhooks secret for OpenAI-shaped backends (OPENAI_WEBHOOK_SECRET). */
  openaiWebhookSecret: string | undefined;
}

export function webhookReceivers(backends: readonly Backend[], settings: WebhookSettings, clock: Clock): Map<string, WebhookReceiver> {
  const receivers = new Map<string, WebhookReceiver>();
  // One JWKS cache for every fal model backend: the keys are fal's, not the model's.
  const jwks = createFalJwksCache(settings.falJwksUrl, clock);
  for (const backend of backends) {
    const protocol = (backend as { webhookProtocol?: string }).webhookProtocol;
    if (protocol === 'fal') receivers.set(backend.id, createFalWebhookReceiver(backend.id, jwks));
    else if (backend.id === 'openai' && settings.openaiWebhookSecret) receivers.set(backend.id, createOpenAiWebhookReceiver(settings.openaiWebhookSecret));
  }
  return receivers;
}
