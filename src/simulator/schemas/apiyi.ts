/**
 * The seed's character API (docs/providers.md: no published spec exists), as the `apiyi` backend speaks it.
 *
 * UNCONFIRMED, read 2026-12-02: no published specification of these paths and fields exists. The shape
 * comes from the seed document (a reseller's article); it was never documented consistently by the
 * services that served it. docs.apiyi.com (https://docs.apiyi.com/en/api-capabilities/sora-2-character-api)
 * describes a character API with `@id` references in prompts, and other relays document different
 * bodies (e.g. https://docs.laozhang.ai/en/api-capabilities/sora2/character.md: `{model, url | from_task,
 * timestamps}`), so base URL, auth and paths stay configuration. What is checked here is only what the seed
 * states: `generate {prompt, duration}` with `duration` a number of seconds, `characters {video_url, name,
 * description}`, `characters/extract {task_id, name}`. Other fields (`size`, `orientation`) are accepted and
 * ignored, as such JSON services commonly do — also unconfirmed. Errors are the flat `{code, message}` the
 * seed's services answered with.
 */
import { z } from 'zod';

export const apiyiGenerateSchema = z.object({
  prompt: z.string().min(1).max(32_000),
  duration: z.number().int().positive(),
  size: z.string().optional(),
  orientation: z.enum(['landscape', 'portrait']).optional(),
});

export const apiyiCharacterSchema = z.object({
  video_url: z.string().url(),
  name: z.string().min(1).max(80),
  description: z.string().max(2_000).optional(),
});

export const apiyiExtractSchema = z.object({ task_id: z.string().min(1), name: z.string().min(1).max(80) });
