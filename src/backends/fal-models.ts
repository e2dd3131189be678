/**
 * fal.ai's reference-to-video models as data (https://docs.fal.ai/model-apis/model-endpoints/queue). Each model is
 * its own backend (`fal-kling-o3`, `fal-seedance2`, …) because each has its own
 * reference syntax, durations, sizes and price, and the router chooses between
 * them from capabilities alone.
 *
 * Input fields, durations and reference limits follow each model's published
 * input type in fal-js `libs/client/src/types/endpoints.ts` (read 2026-12-02; the
 * simulator's schemas in src/simulator/schemas/fal-*.ts cite the exact types).
 * Prices were checked on the model pages on 2026-12-02 (sources per model below
 * and in docs/providers.md). fal renames endpoints and changes prices without
 * notice, so every field can be replaced through FAL_MODELS_JSON, and prices
 * through PRICE_OVERRIDES.
 */
import { z } from 'zod';
import { usdToMicros } from '../core/money.js';

export const falModelSchema = z.object({
  /** Backend id suffix: the backend is `fal-{key}`. Letters, digits and `-` (PRICE_OVERRIDES parses ids). */
  key: z.string().regex(/^[a-z0-9-]{2,24}$/),
  displayName: z.string().min(1),
  /**
   * fal model id per quality; `high` falls back to `standard`. `withoutReferences` serves a
   * video with no character, for models whose reference endpoint requires references (Veo 3.1).
   */
  endpoint: z.object({ standard: z.string().min(3), high: z.string().min(3).optional(), withoutReferences: z.string().min(3).optional() }),
  /**
   * How character frames travel:
   * - `elements`: `elements[{frontal_image_url, reference_image_urls}]`, one per character (`@Element1`).
   * - `frontal-images`: one frontal frame per character in `field`, so `@Image{n}` is character n.
   * - `pooled-images`: frontal frames first, then references, up to `maxImages`, in `field` (no tag syntax).
   */
  references: z.object({
    style: z.enum(['elements', 'frontal-images', 'pooled-images']),
    field: z.string().min(1),
    maxImages: z.number().int().positive(),
  }),
  /** How `@name` is written: `{n}` is the character's position from 1; `description` for models without tags. */
  mention: z.union([z.object({ kind: z.literal('indexed'), template: z.string().min(1) }), z.object({ kind: z.literal('description') })]),
  maxCharacters: z.number().int().positive(),
  seconds: z.array(z.number().int().positive()).min(1),
  /** How `duration` is sent: `"5"`, `5`, or `"8s"` (Veo on fal). */
  durationFormat: z.enum(['string', 'number', 'seconds-suffix']),
  /** Sent as `resolution` per quality, when the model takes one. */
  resolution: z.object({ standard: z.string(), high: z.string().optional() }).optional(),
  sizes: z.object({
    landscape: z.object({ standard: z.string().optional(), high: z.string().optional() }),
    portrait: z.object({ standard: z.string().optional(), high: z.string().optional() }),
  }),
  /** USD per output second, per quality (converted to micro-dollars). */
  usdPerSecond: z.object({ standard: z.number().nonnegative(), high: z.number().nonnegative() }),
  /**
   * Token pricing (Seedance 2.0): tokens = width × height × seconds × 24 / 1024, at this many
   * micro-dollars per token; replaces `usdPerSecond` when set, per the size of each quality.
   */
  microsPerToken: z.number().positive().optional(),
  /** Extra input fields sent as they are (e.g. `generate_audio`). */
  extraInput: z.record(z.string(), z.unknown()).default({}),
  statusNote: z.string().default('Live on fal.ai; price and limits from the model page, November 2026.'),
});

export type FalModel = z.infer<typeof falModelSchema>;

export const DEFAULT_FAL_MODELS: FalModel[] = [
  {
    key: 'kling-o3',
    displayName: 'Kling O3 on fal',
    endpoint: { standard: 'fal-ai/kling-video/o3/standard/reference-to-video', high: 'fal-ai/kling-video/o3/pro/reference-to-video' },
    // Kling O3: `elements[]` of {frontal_image_url, reference_image_urls}, named `@Element1` in the prompt.
    references: { style: 'elements', field: 'elements', maxImages: 4 },
    mention: { kind: 'indexed', template: '@Element{n}' },
    maxCharacters: 4,
    // fal-js `O3ProReferenceVideoI2VInput.duration`: the strings "3".."15".
    seconds: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    durationFormat: 'string',
    resolution: undefined,
    sizes: { landscape: { standard: '1280x720', high: '1920x1080' }, portrait: { standard: '720x1280', high: '1080x1920' } },
    // https://fal.ai/models/fal-ai/kling-video/o3/standard/reference-to-video (checked 2026-12-02):
    // $0.084/s with audio off, $0.112/s with audio on. Pro is priced as Kling v3 pro audio off ($0.112/s;
    // $0.168/s with audio), unconfirmed for O3 pro. Audio stays off, so the price is the audio-off one.
    usdPerSecond: { standard: 0.084, high: 0.112 },
    extraInput: { generate_audio: false },
    statusNote: 'Live on fal.ai: Kling O3 reference-to-video with persistent-look elements, no audio ($0.084/s; checked 2026-12-02).',
  },
  {
    key: 'seedance2',
    displayName: 'Seedance 2.0 on fal',
    endpoint: { standard: 'bytedance/seedance-2.0/reference-to-video' },
    // Seedance 2.0: `image_urls` (at most 9) referenced as `@Image1`; one frontal frame per character keeps n = character.
    references: { style: 'frontal-images', field: 'image_urls', maxImages: 9 },
    mention: { kind: 'indexed', template: '@Image{n}' },
    maxCharacters: 4,
    seconds: [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    durationFormat: 'string',
    resolution: { standard: '720p', high: '1080p' },
    sizes: { landscape: { standard: '1280x720', high: '1920x1080' }, portrait: { standard: '720x1280', high: '1080x1920' } },
    // https://fal.ai/models/bytedance/seedance-2.0/reference-to-video (checked 2026-12-02): $0.014 per
    // 1,000 tokens, tokens = w × h × (input + output s) × 24 / 1024; references are images, so no input
    // seconds: 720p = 21,600 tokens/s = $0.3024/s, 1080p = 48,600 tokens/s = $0.6804/s.
    usdPerSecond: { standard: 0.3024, high: 0.6804 },
    microsPerToken: 14,
    extraInput: {},
    statusNote: 'Live on fal.ai: ByteDance Seedance 2.0 reference-to-video, priced by tokens (~$0.30/s 720p, ~$0.68/s 1080p; checked 2026-12-02).',
  },
  {
    key: 'veo31',
    displayName: 'Veo 3.1 on fal',
    // Reference-to-video REQUIRES `image_urls`, so a video without characters goes to text-to-video.
    endpoint: { standard: 'fal-ai/veo3.1/reference-to-video', withoutReferences: 'fal-ai/veo3.1' },
    // Veo 3.1: `image_urls` with no tag syntax; characters are described in words. 8 s, 16:9 or 9:16.
    references: { style: 'pooled-images', field: 'image_urls', maxImages: 3 },
    mention: { kind: 'description' },
    maxCharacters: 3,
    seconds: [8],
    durationFormat: 'seconds-suffix',
    resolution: { standard: '720p', high: '1080p' },
    sizes: { landscape: { standard: '1280x720', high: '1920x1080' }, portrait: { standard: '720x1280', high: '1080x1920' } },
    // Veo 3.1 Standard with audio, $0.40/s as on Google's own price list after the 2026-04-07 cut
    // (https://ai.google.dev/gemini-api/docs/pricing); fal's own page unconfirmed.
    usdPerSecond: { standard: 0.4, high: 0.4 },
    extraInput: {},
    statusNote: 'Live on fal.ai: Google Veo 3.1 reference-to-video (with audio), $0.40/s (fal price unconfirmed, 2026-12-02).',
  },
  {
    key: 'wan27',
    displayName: 'Wan 2.7 on fal',
    endpoint: { standard: 'fal-ai/wan/v2.7/reference-to-video' },
    // Wan 2.7: `reference_image_urls`, named by position ("Image 1", "Image 2"), at most 5: one frontal
    // frame per character keeps Image n = character n.
    references: { style: 'frontal-images', field: 'reference_image_urls', maxImages: 5 },
    mention: { kind: 'indexed', template: 'Image {n}' },
    maxCharacters: 5,
    seconds: [2, 3, 4, 5, 6, 7, 8, 9, 10],
    // fal-js `Wan27ReferenceToVideoInput.duration`: an INTEGER 2..10 (a string is a 422).
    durationFormat: 'number',
    resolution: { standard: '720p', high: '1080p' },
    sizes: { landscape: { standard: '1280x720', high: '1920x1080' }, portrait: { standard: '720x1280', high: '1080x1920' } },
    // https://fal.ai/models/fal-ai/wan/v2.7/reference-to-video (checked 2026-12-02): a flat $0.10/s at
    // 720p and 1080p (input video seconds are billed too; the bot sends images only).
    usdPerSecond: { standard: 0.1, high: 0.1 },
    extraInput: {},
    statusNote: 'Live on fal.ai: Wan 2.7 reference-to-video, up to 5 characters (flat $0.10/s; checked 2026-12-02).',
  },
];

/**
 * The models to serve: the defaults, narrowed by FAL_MODELS (keys) and
 * extended or patched by FAL_MODELS_JSON (an array of model objects; an entry
 * whose key matches a default is merged over it).
 */
export function resolveFalModels(enabled: string[] | undefined, json: string | undefined): FalModel[] {
  const byKey = new Map(DEFAULT_FAL_MODELS.map((m) => [m.key, m]));
  if (json) {
    const raw = z.array(z.record(z.string(), z.unknown())).parse(JSON.parse(json));
    for (const entry of raw) {
      const key = String(entry.key ?? '');
      const base = byKey.get(key);
      byKey.set(key, falModelSchema.parse(base ? { ...base, ...entry } : entry));
    }
  }
  const keys = enabled && enabled.length > 0 ? enabled : [...byKey.keys()];
  return keys.map((key) => {
    const model = byKey.get(key);
    if (!model) throw new Error(`FAL_MODELS names "${key}", which is neither a default model nor defined in FAL_MODELS_JSON`);
    return model;
  });
}

export function falMicrosPerSecond(model: FalModel): { standard: number; high: number } {
  if (model.microsPerToken !== undefined) {
    const perSecond = (size: string | undefined, fallbackUsd: number): number => {
      const [w, h] = (size ?? '').split('x').map(Number);
      return w && h ? Math.round(((w * h * 24) / 1024) * model.microsPerToken!) : usdToMicros(fallbackUsd);
    };
    return { standard: perSecond(model.sizes.landscape.standard, model.usdPerSecond.standard), high: perSecond(model.sizes.landscape.high, model.usdPerSecond.high) };
  }
  return { standard: usdToMicros(model.usdPerSecond.standard), high: usdToMicros(model.usdPerSecond.high) };
}
