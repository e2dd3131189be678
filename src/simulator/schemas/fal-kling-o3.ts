/**
 * fal `fal-ai/kling-video/o3/{standard,pro,4k}/reference-to-video`, field by field.
 *
 * Source: fal-js `libs/client/src/types/endpoints.ts`, types `KlingVideoO3StandardReferenceToVideoInput`,
 * `KlingVideoO3ProReferenceToVideoInput` and `KlingVideoO34kReferenceToVideoInput` (all =
 * `O3ProReferenceVideoI2VInput`), elements `KlingV3ComboElementInput`, github.com/fal-ai/fal-js commit
 * 381105e1; model pages https://fal.ai/models/fal-ai/kling-video/o3/standard/reference-to-video and
 * https://fal.ai/models/fal-ai/kling-video/o3/4k/reference-to-video/llms.txt — read 2026-12-02.
 *
 * Sound: `generate_audio?: boolean`, default false (fal's API reference page). There is no
 * `resolution` input: the endpoint decides it (standard 720p, pro 1080p, 4k 4K; the 720p/1080p
 * split is unconfirmed, docs/providers.md).
 *
 * Unconfirmed (listed in docs/providers.md): the most elements per request without a video
 * (fal-js says "Maximum 4 total (elements + reference images) when using video"; the simulator
 * allows 7 without one); the prompt length limit (none enforced here).
 */
import { z } from 'zod';
import { falFileUrl, literals, range, type FalModelSchema } from './fal-common.js';

const ENDPOINT_RESOLUTION: Record<string, string> = {
  'fal-ai/kling-video/o3/standard/reference-to-video': '720p',
  'fal-ai/kling-video/o3/pro/reference-to-video': '1080p',
  'fal-ai/kling-video/o3/4k/reference-to-video': '4k',
};

const element = z.strictObject({
  frontal_image_url: falFileUrl.optional(),
  // "1-3 images supported. At least one image is required."
  reference_image_urls: z.array(falFileUrl).min(1).max(3).optional(),
  video_url: falFileUrl.optional(),
  voice_id: z.string().optional(),
});

const input = z
  .strictObject({
    prompt: z.string().min(1).optional(),
    multi_prompt: z.array(z.object({ prompt: z.string(), duration: z.string().optional() })).optional(),
    // A STRING "3".."15" (fal-js: `duration?: "3" | … | "15"`).
    duration: literals(range(3, 15).map(String)).optional(),
    aspect_ratio: z.enum(['16:9', '9:16', '1:1']).optional(),
    elements: z.array(element).max(7).optional(),
    image_urls: z.array(falFileUrl).optional(),
    start_image_url: falFileUrl.optional(),
    end_image_url: falFileUrl.optional(),
    generate_audio: z.boolean().optional(),
    shot_type: z.enum(['customize', 'intelligent']).optional(),
  })
  .refine((b) => (b.prompt === undefined) !== (b.multi_prompt === undefined), { message: 'Either prompt or multi_prompt must be provided, but not both', path: ['prompt'] })
  .refine((b) => (b.elements ?? []).filter((e) => e.video_url).length <= 1, { message: 'A request can only have one element with a video', path: ['elements'] });

export const falKlingO3: FalModelSchema = {
  endpoints: Object.keys(ENDPOINT_RESOLUTION),
  schema: input,
  tags: [
    { tag: 'Element', field: 'elements' },
    { tag: 'Image', field: 'image_urls' },
  ],
  output: (body, endpoint) => ({ resolution: ENDPOINT_RESOLUTION[endpoint] ?? '720p', sound: body.generate_audio === true }),
};
