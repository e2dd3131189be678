/**
 * Extend button on a delivered video, a job's or a board's (its value is the
 * job or board id): opens the extend form (board-forms.ts).
 * The form has to open within 3 s of the click (trigger_id lifetime), so only
 * local checks run first, as for Remix: the job or board must be one the
 * clicker can see and finished; the submit runs every check of /sora extend.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { UserFacingError } from '../../../../core/errors.js';
import { isBoardId } from '../../../../core/extension-source.js';
import { msg } from '../../../../core/messages.js';
import { hasVideo, type Actor } from '../../../../core/types.js';
import { extendModal, type ExtendTarget } from '../../board-forms.js';
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
      const id = action.actions[0]!.value;
      const target = isBoardId(id) ? await deliveredBoard(rt, actor, id) : await deliveredJob(rt, actor, id);
      const threadTs = action.message?.thread_ts;
      await rt.client.views.open({ trigger_id: action.trigger_id, view: extendModal(target, { channel: action.channel.id, jobId: target.id, ...(threadTs && { threadTs }) }, await rt.members.markup(action.team.id, action.user.id)) });
    } catch (error) {
      await tellPrivately(rt, where(action), userMessageFor(error, rt.logger, { action: 'extend' }, await rt.members.markup(action.team.id, action.user.id)));
    }
  };
}

async function deliveredJob(rt: SlackRuntime, actor: Actor, id: string): Promise<ExtendTarget> {
  const job = await rt.studio.job(actor, id);
  if (!hasVideo(job)) throw new UserFacingError(msg('job.no_video_to', { jobId: job.id, to: 'extend' }), { code: 'not_finished' });
  return { id: job.id, board: false, defaultSeconds: job.seconds };
}

async function deliveredBoard(rt: SlackRuntime, actor: Actor, id: string): Promise<ExtendTarget> {
  const { board, lines } = await rt.studio.boards.view(actor, id);
  if (board.state !== 'delivered') throw new UserFacingError(msg('extend.not_finished', { id: board.id, board: true }), { code: 'not_finished' });
  return { id: board.id, board: true, defaultSeconds: lines.at(-1)?.seconds ?? board.seconds };
}
