/**
 * fal `bytedance/seedance-2.0/reference-to-video`, field by field.
 *
 * Source: fal-js `libs/client/src/types/endpoints.ts`, type `Seedance20ReferenceToVideoInput`
 * (= `Seedance2R2VInput`), github.com/fal-ai/fal-js commit 381105e1; model page
 * https://fal.ai/models/bytedance/seedance-2.0/reference-to-video — read 2026-12-02.
 *
 * Unconfirmed (listed in docs/providers.md): whether a request with no reference at all is
 * accepted (fal-js marks `image_urls` optional; the simulator accepts it); the prompt length limit.
 */
import { z } from 'zod';
import { falFileUrl, literals, outputWithDefaults, range, type FalModelSchema } from './fal-common.js';

const input = z
  .strictObject({
    prompt: z.string().min(1),
    // A STRING "4".."15" or "auto".
    duration: literals(['auto', ...range(4, 15).map(String)]).optional(),
    aspect_ratio: z.enum(['auto', '21:9', '16:9', '4:3', '1:1', '3:4', '9:16']).optional(),
    resolution: z.enum(['480p', '720p', '1080p', '4k']).optional(),
    // "Up to 9 images. Total files across all modalities must not exceed 12."
    image_urls: z.array(falFileUrl).max(9).optional(),
    video_urls: z.array(falFileUrl).max(3).optional(),
    audio_urls: z.array(falFileUrl).max(3).optional(),
    generate_audio: z.boolean().optional(),
    bitrate_mode: z.enum(['standard', 'high']).optional(),
    end_user_id: z.string().optional(),
  })
  .refine((b) => (b.image_urls?.length ?? 0) + (b.video_urls?.length ?? 0) + (b.audio_urls?.length ?? 0) <= 12, { message: 'Total files across all modalities must not exceed 12', path: ['image_urls'] })
  .refine((b) => !b.audio_urls?.length || (b.image_urls?.length ?? 0) + (b.video_urls?.length ?? 0) > 0, { message: 'If audio is provided, at least one reference image or video is required', path: ['audio_urls'] });

// fal-js: `resolution` default "720p", `generate_audio` default true.
export const falSeedance2: FalModelSchema = {
  endpoints: ['bytedance/seedance-2.0/reference-to-video'],
  schema: input,
  tags: [{ tag: 'Image', field: 'image_urls' }],
  output: outputWithDefaults({ resolution: '720p', sound: true }),
};
