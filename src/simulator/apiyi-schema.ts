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
