/**
 * OpenAI-shaped video webhooks (https://platform.openai.com/docs/guides/video-generation): `video.completed` and
 * `video.failed`, body `{id, type, created_at, data:{id}}`, signed per
 * Standard Webhooks. The event only wakes the job: its next status call reads
 * the final state and error code from the API itself.
 */
import { z } from 'zod';
import { verifyStandardWebhook } from './standard-webhooks.js';
import { WebhookRejected, type WebhookReceiver } from './types.js';

export const openAiWebhookBodySchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created_at: z.number().optional(),
  data: z.object({ id: z.string().min(1) }),
});

export function createOpenAiWebhookReceiver(secret: string): WebhookReceiver {
  return {
    verify: (headers, body) => verifyStandardWebhook(secret, headers, body),
    parse(body) {
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new WebhookRejected(400, 'body is not JSON');
      }
      const parsed = openAiWebhookBodySchema.safeParse(json);
      if (!parsed.success) throw new WebhookRejected(400, 'body does not match the video event shape');
      return { providerJobId: parsed.data.data.id, status: undefined };
    },
  };
}
