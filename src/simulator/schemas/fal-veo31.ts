/**
 * fal `fal-ai/veo3.1/reference-to-video` and `fal-ai/veo3.1` (text to video), field by field.
 *
 * Source: fal-js `libs/client/src/types/endpoints.ts`, types `Veo31ReferenceToVideoInput` and
 * `Veo31Input`, github.com/fal-ai/fal-js commit 381105e1; model pages
 * https://fal.ai/models/fal-ai/veo3.1/reference-to-video and https://fal.ai/models/fal-ai/veo3.1 —
 * read 2026-12-02.
 *
 * `image_urls` is REQUIRED on reference-to-video, so a video without characters goes to the
 * text-to-video endpoint. Unconfirmed (listed in docs/providers.md): which `duration` strings
 * reference-to-video takes (fal-js types it as a plain string, default "8s"; the simulator takes
 * "8s" only); the most reference images (3, as on the Gemini API).
 */
import { z } from 'zod';
import { falFileUrl, outputWithDefaults, type FalModelSchema } from './fal-common.js';

const common = {
  prompt: z.string().min(1),
  aspect_ratio: z.enum(['16:9', '9:16']).optional(),
  auto_fix: z.boolean().optional(),
  generate_audio: z.boolean().optional(),
  resolution: z.enum(['720p', '1080p', '4k']).optional(),
  safety_tolerance: z.enum(['1', '2', '3', '4', '5', '6']).optional(),
};

const referenceInput = z.strictObject({
  ...common,
  duration: z.literal('8s').optional(),
  image_urls: z.array(falFileUrl).min(1).max(3),
});

const textInput = z.strictObject({
  ...common,
  duration: z.enum(['4s', '6s', '8s']).optional(),
  negative_prompt: z.string().optional(),
  seed: z.number().int().optional(),
});

// fal-js: `resolution` default "720p", `generate_audio` default true, on both endpoints.
const output = outputWithDefaults({ resolution: '720p', sound: true });

export const falVeo31Reference: FalModelSchema = { endpoints: ['fal-ai/veo3.1/reference-to-video'], schema: referenceInput, tags: [], output };
export const falVeo31Text: FalModelSchema = { endpoints: ['fal-ai/veo3.1'], schema: textInput, tags: [], output };
