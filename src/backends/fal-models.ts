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
import type { SoundPrices } from '../core/capabilities.js';
import { RESOLUTIONS, type Resolution } from '../core/types.js';

const sizeSchema = z.string().regex(/^\d+x\d+$/);

/** One resolution a model makes: its sizes, its price with and without sound, and its endpoint when that differs. */
const tierSchema = z.object({
  /** fal model id at this resolution when it is another endpoint (Kling O3 pro for 1080p, 4k for 4k). */
  endpoint: z.string().min(3).optional(),
  landscape: sizeSchema.optional(),
  portrait: sizeSchema.optional(),
  /** USD per output second with sound (`on`) and without (`off`); a missing one means the model cannot make it. */
  usdPerSecond: z.object({ on: z.number().nonnegative().optional(), off: z.number().nonnegative().optional() }),
});

export const falModelSchema = z.object({
  /** Backend id suffix: the backend is `fal-{key}`. Letters, digits and `-` (PRICE_OVERRIDES parses ids). */
  key: z.string().regex(/^[a-z0-9-]{2,24}$/),
  displayName: z.string().min(1),
  /**
   * fal model id; a tier may name its own. `withoutReferences` serves a video with no character,
   * for models whose reference endpoint requires references (Veo 3.1).
   */
  endpoint: z.object({ standard: z.string().min(3), withoutReferences: z.string().min(3).optional() }),
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
  /** The model takes `resolution` (`"720p"`, `"1080p"`, `"4k"`); otherwise the endpoint decides it. */
  sendsResolution: z.boolean(),
  /** The boolean input that switches sound (`generate_audio`), sent on every request because defaults differ per model. */
  audioField: z.string().min(1).optional(),
  /** The resolutions the model makes. */
  tiers: z.object({ '720p': tierSchema.optional(), '1080p': tierSchema.optional(), '4k': tierSchema.optional() }),
  /** Extra input fields sent as they are. */
  extraInput: z.record(z.string(), z.unknown()).default({}),
  statusNote: z.string().default('Live on fal.ai; price and limits from the model page, November 2026.'),
});

export type FalModel = z.infer<typeof falModelSchema>;
export type FalTier = z.infer<typeof tierSchema>;

const WIDE = { landscape: '1280x720', portrait: '720x1280' };
const FULL_HD = { landscape: '1920x1080', portrait: '1080x1920' };
const UHD = { landscape: '3840x2160', portrait: '2160x3840' };

export const DEFAULT_FAL_MODELS: FalModel[] = [
  {
    key: 'kling-o3',
    displayName: 'Kling O3 on fal',
    endpoint: { standard: 'fal-ai/kling-video/o3/standard/reference-to-video' },
    // Kling O3: `elements[]` of {frontal_image_url, reference_image_urls}, named `@Element1` in the prompt.
    references: { style: 'elements', field: 'elements', maxImages: 4 },
    mention: { kind: 'indexed', template: '@Element{n}' },
    maxCharacters: 4,
    // fal-js `O3ProReferenceVideoI2VInput.duration`: the strings "3".."15".
    seconds: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    durationFormat: 'string',
    // No `resolution` input: the standard endpoint makes 720p, pro 1080p, 4k 4K (sizes unconfirmed, docs/providers.md).
    sendsResolution: false,
    // fal-js `O3ProReferenceVideoI2VInput.generate_audio?: boolean`, off by default on the model page.
    audioField: 'generate_audio',
    tiers: {
      // https://fal.ai/models/fal-ai/kling-video/o3/standard/reference-to-video (checked 2026-12-02):
      // $0.084/s with audio off, $0.112/s with audio on.
      '720p': { ...WIDE, usdPerSecond: { off: 0.084, on: 0.112 } },
      // Pro is priced as Kling v3 pro ($0.112/s off, $0.168/s on), unconfirmed for O3 pro.
      '1080p': { endpoint: 'fal-ai/kling-video/o3/pro/reference-to-video', ...FULL_HD, usdPerSecond: { off: 0.112, on: 0.168 } },
      // https://fal.ai/models/fal-ai/kling-video/o3/4k/reference-to-video/llms.txt (read 2026-12-02):
      // "$0.42 regardless of whether audio is on or off"; same input type (fal-js `KlingVideoO34kReferenceToVideoInput`).
      '4k': { endpoint: 'fal-ai/kling-video/o3/4k/reference-to-video', ...UHD, usdPerSecond: { off: 0.42, on: 0.42 } },
    },
    extraInput: {},
    statusNote: 'Live on fal.ai: Kling O3 reference-to-video with persistent-look elements, sound optional ($0.084/s silent, $0.112/s with sound; checked 2026-12-02).',
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
    sendsResolution: true,
    // fal-js `Seedance2R2VInput.generate_audio` (default true): "The cost of video generation is the
    // same regardless of whether audio is generated or not."
    audioField: 'generate_audio',
    // https://fal.ai/models/bytedance/seedance-2.0/reference-to-video (checked 2026-12-02): $0.014 per
    // 1,000 tokens, tokens = w × h × (input + output s) × 24 / 1024; references are images, so no input
    // seconds: 720p = 21,600 tokens/s = $0.3024/s, 1080p = 48,600 = $0.6804/s, 4K = 194,400 = $2.7216/s
    // (4K by the same formula, unconfirmed).
    tiers: {
      '720p': { ...WIDE, usdPerSecond: { off: 0.3024, on: 0.3024 } },
      '1080p': { ...FULL_HD, usdPerSecond: { off: 0.6804, on: 0.6804 } },
      '4k': { ...UHD, usdPerSecond: { off: 2.7216, on: 2.7216 } },
    },
    extraInput: {},
    statusNote: 'Live on fal.ai: ByteDance Seedance 2.0 reference-to-video, priced by tokens (~$0.30/s 720p, ~$0.68/s 1080p, sound at no extra cost; checked 2026-12-02).',
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
    sendsResolution: true,
    // fal-js `Veo31ReferenceToVideoInput.generate_audio` (default true).
    audioField: 'generate_audio',
    // https://fal.ai/models/fal-ai/veo3.1/reference-to-video/llms.txt (read 2026-12-02): "$0.20 without
    // audio or $0.40 with audio for 720p or 1080p. At 4k, $0.40 per second without audio, or $0.60 with".
    tiers: {
      '720p': { ...WIDE, usdPerSecond: { off: 0.2, on: 0.4 } },
      '1080p': { ...FULL_HD, usdPerSecond: { off: 0.2, on: 0.4 } },
      '4k': { ...UHD, usdPerSecond: { off: 0.4, on: 0.6 } },
    },
    extraInput: {},
    statusNote: 'Live on fal.ai: Google Veo 3.1 reference-to-video, $0.20/s silent, $0.40/s with sound (4K $0.40/$0.60; checked 2026-12-02).',
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
    sendsResolution: true,
    // fal-js `Wan27ReferenceToVideoInput` has no audio input: declared silent (that its output has no
    // sound is unconfirmed; a delivered file with sound is logged, see docs/providers.md).
    audioField: undefined,
    // https://fal.ai/models/fal-ai/wan/v2.7/reference-to-video (checked 2026-12-02): a flat $0.10/s at
    // 720p and 1080p (input video seconds are billed too; the bot sends images only). No 4K.
    tiers: {
      '720p': { ...WIDE, usdPerSecond: { off: 0.1 } },
      '1080p': { ...FULL_HD, usdPerSecond: { off: 0.1 } },
    },
    extraInput: {},
    statusNote: 'Live on fal.ai: Wan 2.7 reference-to-video, up to 5 characters, silent (flat $0.10/s; checked 2026-12-02).',
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

/** The model's prices per resolution and sound, in micro-dollars per second. */
export function falPriceTable(model: FalModel): Partial<Record<Resolution, SoundPrices>> {
  const table: Partial<Record<Resolution, SoundPrices>> = {};
  for (const resolution of RESOLUTIONS) {
    const tier = model.tiers[resolution];
    if (!tier) continue;
    const { on, off } = tier.usdPerSecond;
    table[resolution] = { ...(on !== undefined && { on: usdToMicros(on) }), ...(off !== undefined && { off: usdToMicros(off) }) };
  }
  return table;
}
