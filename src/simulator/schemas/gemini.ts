/**
 * The Gemini API's Veo `models/{model}:predictLongRunning` body, field by field.
 *
 * Source: googleapis/js-genai `src/converters/_models_converters.ts` (commit 6e9b35c4):
 * `generateVideosParametersToMldev`, `generateVideosConfigToMldev`,
 * `videoGenerationReferenceImageToMldev`, `imageToMldev`; enum `VideoGenerationReferenceType`
 * (`ASSET`, `STYLE`) in `src/types.ts`; https://ai.google.dev/gemini-api/docs/video — read 2026-12-02.
 *
 * The converters say which fields exist on the Gemini API (not Vertex): `instances[0].prompt`,
 * `image`, `lastFrame`, `video`, `referenceImages[{image:{bytesBase64Encoded, mimeType}, referenceType}]`;
 * `parameters.sampleCount, durationSeconds, aspectRatio, resolution, personGeneration,
 * negativePrompt, enhancePrompt`. `seed`, `fps`, `generateAudio`, `outputGcsUri`, `pubsubTopic`
 * and `mask` are Vertex-only: the SDK throws on them, so they are refused here.
 *
 * Unconfirmed (listed in docs/providers.md): that references force 8 s (docs) and 16:9 (a
 * reseller's schema); that Lite takes no reference images; that `-001` ids answer 404 on the Gemini
 * API (they are Vertex ids); that lowercase `asset` (Vertex REST samples) is refused.
 */
import { z } from 'zod';

/** The Veo 3.1 models the Gemini API serves (preview ids; `-001` ids are Vertex AI's). */
export const GEMINI_VEO_MODELS = ['veo-3.1-generate-preview', 'veo-3.1-fast-generate-preview', 'veo-3.1-lite-generate-preview'] as const;
/** Models that take reference images (Lite does not). */
export const GEMINI_REFERENCE_MODELS: readonly string[] = ['veo-3.1-generate-preview', 'veo-3.1-fast-generate-preview'];

const image = z.strictObject({ bytesBase64Encoded: z.string().min(1).regex(/^[A-Za-z0-9+/]+=*$/, 'must be base64'), mimeType: z.enum(['image/jpeg', 'image/png', 'image/webp']) });

export const geminiPredictSchema = z.strictObject({
  instances: z
    .array(
      z.strictObject({
        prompt: z.string().min(1),
        image: image.optional(),
        lastFrame: image.optional(),
        video: z.strictObject({ uri: z.string().min(1) }).optional(),
        referenceImages: z.array(z.strictObject({ image, referenceType: z.enum(['ASSET', 'STYLE']) })).max(3).optional(),
      }),
    )
    .length(1),
  parameters: z
    .strictObject({
      sampleCount: z.number().int().min(1).max(1).optional(),
      durationSeconds: z.union([z.literal(4), z.literal(6), z.literal(8)]).optional(),
      aspectRatio: z.enum(['16:9', '9:16']).optional(),
      resolution: z.enum(['720p', '1080p', '4k']).optional(),
      personGeneration: z.enum(['allow_all', 'allow_adult', 'dont_allow']).optional(),
      negativePrompt: z.string().optional(),
      enhancePrompt: z.boolean().optional(),
    })
    .optional(),
});

export type GeminiPredict = z.infer<typeof geminiPredictSchema>;
