/**
 * Approve and Deny buttons on a job that waits for an admin. The core decides
 * who may decide (admins or the allowed groups, never on their own job unless
 * the only admin) and decides once when two click at once; the status message
 * then shows the decision and who made it.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { UserFacingError } from '../../../../core/errors.js';
import { tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { slackRefSchema } from '../../surface.js';
import { jobActionSchema, where } from './job-action.js';

export function decideJobListener(rt: SlackRuntime, outcome: 'approve' | 'deny') {
  return async function onDecideJob({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    if (!parsed.success) return void rt.logger.warn({ issues: parsed.error.issues }, `malformed slack ${outcome} action`);
    const action = parsed.data;
    try {
      const actor = rt.places.actorIn(await rt.members.actor(action.team.id, action.user.id, action.user.name), action.channel.id);
      const job = await rt.studio.job(actor, action.actions[0]!.value);
      const ref = slackRefSchema.safeParse(job.surface);
      if (!ref.success || ref.data.channel !== action.channel.id) throw new UserFacingError('unknown_job', 'That button does not belong to a job in this channel.');
      if (outcome === 'approve') await rt.studio.team.approve(actor, job.id);
      else await rt.studio.team.deny(actor, job.id, undefined);
    } catch (error) {
      await tellPrivately(rt, where(action), userMessageFor(error, rt.logger, { action: outcome }));
    }
  };
}
