/**
 * Remix button: opens a modal with the original prompt to edit. The modal has
 * to open within 3 s of the click (trigger_id lifetime), so only local checks
 * run first: the job must be one the clicker can see (this workspace, a
 * conversation they are in; membership is cached) and finished.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { UserFacingError } from '../../../../core/errors.js';
import { msg } from '../../../../core/messages.js';
import { hasVideo } from '../../../../core/types.js';
import { remixModal } from '../../blocks.js';
import { tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { jobActionSchema, where } from './job-action.js';

export function remixJobListener(rt: SlackRuntime) {
  return async function onRemixJob({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    if (!parsed.success) return void rt.logger.warn({ issues: parsed.error.issues }, 'malformed slack remix action');
    const action = parsed.data;
    try {
      const actor = rt.places.actorIn(await rt.members.actor(action.team.id, action.user.id, action.user.name), action.channel.id);
      const job = await rt.studio.job(actor, action.actions[0]!.value);
      if (!hasVideo(job)) throw new UserFacingError(msg('job.no_video_to', { jobId: job.id, to: 'remix' }), { code: 'not_finished' });
      const metadata = JSON.stringify({ jobId: job.id, channel: action.channel.id, threadTs: action.message?.thread_ts });
      await rt.client.views.open({ trigger_id: action.trigger_id, view: remixModal(job, metadata, await rt.members.markup(action.team.id, action.user.id)) });
    } catch (error) {
      await tellPrivately(rt, where(action), userMessageFor(error, rt.logger, { action: 'remix' }, await rt.members.markup(action.team.id, action.user.id)));
    }
  };
}
