/**
 * The part of a button click every job action needs: a validated payload
 * (zod at the edge), the tenant it came from and the job it names.
 */
import { z } from 'zod';
import { UserFacingError } from '../../../../core/errors.js';
import { msg } from '../../../../core/messages.js';
import type { Actor, JobRecord } from '../../../../core/types.js';
import type { SlackRuntime } from '../../runtime.js';
import { slackRefSchema, type SlackRef } from '../../surface.js';

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

/** The clicking member (as seen in this channel) and the job the button names, which must live in that channel. */
export async function actionJob(rt: SlackRuntime, action: JobAction): Promise<{ actor: Actor; job: JobRecord; ref: SlackRef }> {
  const actor = rt.places.actorIn(await rt.members.actor(action.team.id, action.user.id, action.user.name), action.channel.id);
  const job = await rt.studio.job(actor, action.actions[0]!.value);
  const ref = slackRefSchema.safeParse(job.surface);
  if (!ref.success || ref.data.channel !== action.channel.id) throw new UserFacingError(msg('button.not_here'), { code: 'unknown_job' });
  return { actor, job, ref: ref.data };
}
