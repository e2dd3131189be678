/**
 * fal `fal-ai/wan/v2.7/reference-to-video`, field by field.
 *
 * Source: fal-js `libs/client/src/types/endpoints.ts`, type `Wan27ReferenceToVideoInput`
 * (= `WanV27ReferenceToVideoInput`), github.com/fal-ai/fal-js commit 381105e1; model page
 * https://fal.ai/models/fal-ai/wan/v2.7/reference-to-video — read 2026-12-02.
 *
 * Unconfirmed (listed in docs/providers.md): the limit of 5 references in all (from the field
 * guide's reading of the model page, not in fal-js); "Image 1", "Image 2" as the way the prompt
 * names references by position; the data-URI form for reference images.
 */
import { z } from 'zod';
import { falFileUrl, literals, outputWithDefaults, range, type FalModelSchema } from './fal-common.js';

/** Most references (images + videos) per request; unconfirmed, see the header. */
export const WAN27_MAX_REFERENCES = 5;

const input = z
  .strictObject({
    prompt: z.string().min(1).max(5_000),
    negative_prompt: z.string().max(500).optional(),
    // An INTEGER 2..10: `"5"` is a 422 (fal-js: `duration?: 2 | 3 | … | 10`).
    duration: literals(range(2, 10)).optional(),
    aspect_ratio: z.enum(['16:9', '9:16', '1:1', '4:3', '3:4']).optional(),
    resolution: z.enum(['720p', '1080p']).optional(),
    reference_image_urls: z.array(falFileUrl).optional(),
    reference_video_urls: z.array(falFileUrl).optional(),
    multi_shots: z.boolean().optional(),
    enable_safety_checker: z.boolean().optional(),
    seed: z.number().int().min(0).max(2_147_483_647).optional(),
  })
  .refine((b) => (b.reference_image_urls?.length ?? 0) + (b.reference_video_urls?.length ?? 0) <= WAN27_MAX_REFERENCES, {
    message: `at most ${WAN27_MAX_REFERENCES} references in all`,
    path: ['reference_image_urls'],
  });

// fal-js: `resolution` default "1080p"; no audio input, rendered silent (unconfirmed, see the header).
export const falWan27: FalModelSchema = { endpoints: ['fal-ai/wan/v2.7/reference-to-video'], schema: input, tags: [], output: outputWithDefaults({ resolution: '1080p', sound: false }) };
