/**
 * The part of a button click every job action needs: a validated payload
 * (zod at the edge), the tenant it came from and the job it names.
 */
import { z } from 'zod';

export const jobActionSchema = z.object({
  type: z.literal('block_actions'),
  team: z.object({ id: z.string().min(1) }),
  user: z.object({ id: z.string().min(1), name: z.string().optional(), username: z.string().optional() }),
  channel: z.object({ id: z.string().min(1) }),
  trigger_id: z.string().min(1),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).optional(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().regex(/^[a-z0-9_-]{1,40}$/i) })).min(1),
});
export type JobAction = z.infer<typeof jobActionSchema>;

export function where(action: JobAction): { channel: string; user: string; threadTs?: string } {
  const threadTs = action.message?.thread_ts;
  return { channel: action.channel.id, user: action.user.id, ...(threadTs ? { threadTs } : {}) };
}
