/**
 * What the OpenAI Videos API accepts, field by field, and how it says no.
 *
 * Sources, read 2026-12-02:
 * - openai-node `src/resources/videos/videos.ts` (generated from OpenAI's OpenAPI spec):
 *   https://github.com/openai/openai-node/blob/master/src/resources/videos/videos.ts
 *   `VideoCreateParams` {prompt, input_reference?, model?, seconds?, size?},
 *   `VideoSeconds = '4' | '8' | '12'` (strings), `VideoSize`, `VideoModel` (any string, or the sora-2 ids),
 *   `VideoRemixParams` {prompt}, `VideoExtendParams` {prompt, seconds ("4, 8, 12, 16, 20"), video: {id}}.
 *   The OpenAPI body behind it is `CreateVideoJsonBody`; its `input_reference` (`ImageRefParam-2`) says
 *   "Provide exactly one of `image_url` or `file_id`".
 * - openai-node `src/resources/videos/character.ts`: `CharacterCreateParams` {name, video (file)}.
 * - `characters: [{id}]` on create is NOT in the SDK types; it comes from OpenAI's guide "Video generation
 *   with Sora → Use characters for consistency" (https://platform.openai.com/docs/guides/video-generation):
 *   at most two, and each character's name must appear verbatim in the prompt. Unconfirmed by the spec.
 * - The error body `{"error":{"message","type","param","code"}}` and the codes `invalid_value`,
 *   `invalid_type`, `missing_required_parameter`, `unknown_parameter` are OpenAI's general API error shape
 *   (https://platform.openai.com/docs/guides/error-codes); the exact wording per Videos field is not
 *   published, so the messages here are ours.
 * - The prompt's 32,000-character bound and "larger sizes need sora-2-pro" are from the guide, not the spec.
 */
import { z } from 'zod';
import { HttpFailure } from '../protocol.js';

/** `VideoSeconds` on create. 16 and 20 exist only for `POST /videos/extensions`. */
export const OPENAI_CREATE_SECONDS = ['4', '8', '12'] as const;
/** `VideoExtendParams.seconds`: "allowed values: 4, 8, 12, 16, 20". */
export const OPENAI_EXTEND_SECONDS = ['4', '8', '12', '16', '20'] as const;
export const OPENAI_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'] as const;
/** Sizes sora-2 (non-pro) refuses; gateways with other model names are not checked. */
export const PRO_ONLY_SIZES = new Set<string>(['1024x1792', '1792x1024']);

const prompt = z.string().min(1).max(32_000);

/** `ImageRefParam-2`: exactly one of the two. */
const imageRef = z
  .object({ image_url: z.string().min(1).optional(), file_id: z.string().min(1).optional() })
  .strict()
  .refine((r) => (r.image_url === undefined) !== (r.file_id === undefined), { message: 'Provide exactly one of image_url or file_id.' });

export const openaiCreateSchema = z
  .object({
    prompt,
    model: z.string().min(1).default('sora-2'),
    seconds: z.enum(OPENAI_CREATE_SECONDS).default('4'),
    size: z.enum(OPENAI_SIZES).default('720x1280'),
    input_reference: imageRef.optional(),
    characters: z.array(z.object({ id: z.string().min(1) }).strict()).max(2).optional(),
  })
  .strict();

export const openaiRemixSchema = z.object({ prompt }).strict();

export const openaiExtendSchema = z
  .object({ prompt, seconds: z.enum(OPENAI_EXTEND_SECONDS), video: z.object({ id: z.string().min(1) }).strict() })
  .strict();

/** `CharacterCreateParams.name` (the 1–80 bound is the guide's); the `video` file part is checked by the route. */
export const openaiCharacterSchema = z.object({ name: z.string().min(1).max(80) }).strict();

/**
 * Validates a body and, on failure, throws the 400 OpenAI sends: `param` names the
 * first offending field and `code` says whether it was missing, of the wrong
 * type, not an allowed value, or not a parameter at all.
 */
export function parseOpenAi<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0]!].join('.');
    throw new HttpFailure(400, 'unknown_parameter', `Unknown parameter: '${key}'.`, key);
  }
  const param = path.join('.') || null;
  const given = path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
  if (given === undefined && issue.code === 'invalid_type') {
    throw new HttpFailure(400, 'missing_required_parameter', `Missing required parameter: '${param}'.`, param);
  }
  // An enum of strings given a number is a type error, not a wrong value.
  const expected = issue.code === 'invalid_type' ? issue.expected : issue.code === 'invalid_value' ? typeof issue.values[0] : undefined;
  if (expected !== undefined && expected !== typeof given) {
    throw new HttpFailure(400, 'invalid_type', `Invalid type for '${param}': expected ${expected}, but got ${typeof given}.`, param);
  }
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map((o) => `'${String(o)}'`).join(', ');
    throw new HttpFailure(400, 'invalid_value', `Invalid value: '${String(given)}'. Supported values are: ${allowed}.`, param);
  }
  throw new HttpFailure(400, 'invalid_value', `Invalid '${param ?? 'body'}': ${issue.message}`, param);
}
