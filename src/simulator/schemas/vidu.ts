/**
 * Vidu's request schemas, field by field, for the simulator to validate the
 * bot's requests against. Sources (all read 2026-12-02):
 * - Subjects (create `POST /ent/v2/subjects {name, images ≤ 3, videos ≤ 1, voice_id}` → `{id, …}`;
 *   list `GET /ent/v2/subjects`; edit `PUT /ent/v2/subjects/{id}`) and reference-to-video with stored
 *   subjects (`subjects:[{name, server_id}]`, the prompt naming `@name`): Vidu's subject API page
 *   (platform.vidu.cn/docs, as mirrored in public repositories) and https://platform.vidu.com/docs/reference-to-video.
 * - Text-to-video: https://platform.vidu.com/docs/text-to-video.
 * - Task results: https://platform.vidu.com/docs/get-generation (`GET /ent/v2/tasks/{id}/creations` →
 *   `{state: created|queueing|processing|success|failed, err_code, credits, creations:[{id, url, cover_url}]}`).
 * - Errors: https://platform.vidu.com/docs/error-code (HTTP status + `FieldInvalid`, `CreditInsufficient`, …).
 * - Auth: `Authorization: Token {api key}` (every page above).
 * *Unconfirmed* and listed in docs/providers.md: a DELETE for subjects (no published endpoint; the bot
 * sends `DELETE /ent/v2/subjects/{id}`, the path of the documented PUT); the JSON error body's shape
 * (`{code, reason, message, metadata}` as seen in community client tests); which of `@1` and `[@1]`
 * the prompt parser prefers (the page shows both; the simulator accepts both); the answer to a
 * `server_id` Vidu no longer knows.
 */
import { z } from 'zod';

/** Images travel as URLs or base64 data URIs that carry their content type. */
const image = z.string().refine((v) => /^https?:\/\//.test(v) || /^data:image\/(png|jpeg|jpg|webp);base64,[A-Za-z0-9+/]+=*$/.test(v), 'an image URL or a data:image/…;base64 URI');
const video = z.string().refine((v) => /^https?:\/\//.test(v) || /^data:video\/(mp4|avi|quicktime|mov);base64,/.test(v), 'a video URL or a data:video/…;base64 URI');

export const subjectCreateSchema = z
  .object({
    name: z.string().min(1).max(64),
    images: z.array(image).min(1).max(3),
    videos: z.array(video).max(1).optional(),
    voice_id: z.string().optional(),
  })
  .strict();

export const VIDU_REFERENCE_MODELS = ['viduq2-pro', 'viduq2', 'viduq1', 'vidu2.0'] as const;

/** Durations and resolutions per model, from the reference-to-video page. */
export const VIDU_MODEL_LIMITS: Record<(typeof VIDU_REFERENCE_MODELS)[number], { seconds: number[]; resolutions: string[] }> = {
  'viduq2-pro': { seconds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], resolutions: ['540p', '720p', '1080p'] },
  viduq2: { seconds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], resolutions: ['540p', '720p', '1080p'] },
  viduq1: { seconds: [5], resolutions: ['1080p'] },
  'vidu2.0': { seconds: [4], resolutions: ['360p', '720p'] },
};

const common = {
  prompt: z.string().min(1).max(5_000),
  // An integer (Int on the page); "5" is refused.
  duration: z.number().int().min(0).max(16).optional(),
  seed: z.number().int().nonnegative().optional(),
  aspect_ratio: z.enum(['16:9', '9:16', '4:3', '3:4', '1:1']).optional(),
  resolution: z.enum(['360p', '540p', '720p', '1080p']).optional(),
  movement_amplitude: z.enum(['auto', 'small', 'medium', 'large']).optional(),
  payload: z.string().max(1_048_576).optional(),
  off_peak: z.boolean().optional(),
  watermark: z.boolean().optional(),
  callback_url: z.string().url().optional(),
};

export const reference2videoSchema = z
  .object({
    model: z.enum(VIDU_REFERENCE_MODELS),
    subjects: z
      .array(
        z
          .object({
            name: z.string().min(1),
            // Stored subjects are named by the id the subject API returned.
            server_id: z.string().min(1).optional(),
            images: z.array(image).max(3).optional(),
            voice_id: z.string().optional(),
          })
          .strict(),
      )
      .min(1)
      .max(7),
    audio: z.boolean().optional(),
    ...common,
  })
  .strict();

export const text2videoSchema = z
  .object({
    model: z.enum(['viduq3-pro', 'viduq3-turbo', 'viduq2', 'viduq1', 'vidu1.5']),
    style: z.enum(['general', 'anime']).optional(),
    bgm: z.boolean().optional(),
    ...common,
  })
  .strict();

export type Reference2VideoBody = z.infer<typeof reference2videoSchema>;
