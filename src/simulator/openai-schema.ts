import { z } from 'zod';

const OPENAI_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'] as const;
/** Sizes sora-2 (non-pro) refused; gateways with other model names are not checked. */
export const PRO_ONLY_SIZES = new Set<string>(['1024x1792', '1792x1024']);

export const openaiCreateSchema = z.object({
  prompt: z.string().min(1).max(32_000),
  model: z.string().min(1).default('sora-2'),
  seconds: z.enum(['4', '8', '12', '16', '20']).default('4'),
  size: z.enum(OPENAI_SIZES).default('720x1280'),
  characters: z.array(z.object({ id: z.string().min(1) })).max(2).optional(),
  input_reference: z.union([z.object({ image_url: z.string().url() }), z.object({ file_id: z.string().min(1) })]).optional(),
});

export const openaiRemixSchema = z.object({ prompt: z.string().min(1).max(32_000) });

export const openaiCharacterSchema = z.object({ name: z.string().min(1).max(80) });
