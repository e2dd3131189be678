/**
 * Extend button on a delivered video: opens the extend form (board-forms.ts).
 * The form has to open within 3 s of the click (trigger_id lifetime), so only
 * local checks run first, as for Remix: the job must be one the clicker can
 * see and finished; the submit runs every check of /sora extend.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { UserFacingError } from '../../../../core/errors.js';
import { extendModal } from '../../board-forms.js';
import { tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { jobActionSchema, where } from './job-action.js';

export function extendJobListener(rt: SlackRuntime) {
  return async function onExtendJob({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    if (!parsed.success) return void rt.logger.warn({ issues: parsed.error.issues }, 'malformed slack extend action');
    const action = parsed.data;
    try {
      const actor = rt.places.actorIn(await rt.members.actor(action.team.id, action.user.id, action.user.name), action.channel.id);
      const job = await rt.studio.job(actor, action.actions[0]!.value);
      if (job.state !== 'delivered') throw new UserFacingError('not_finished', `Job ${job.id} has no finished video to extend.`);
      const threadTs = action.message?.thread_ts;
      await rt.client.views.open({ trigger_id: action.trigger_id, view: extendModal(job, { channel: action.channel.id, jobId: job.id, ...(threadTs && { threadTs }) }) });
    } catch (error) {
      await tellPrivately(rt, where(action), userMessageFor(error, rt.logger, { action: 'extend' }, await rt.members.markup(action.team.id, action.user.id)));
    }
  };
}
