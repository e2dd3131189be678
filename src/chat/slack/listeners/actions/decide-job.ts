/**
 * Approve and Deny buttons on a job, or a storyboard (value `b_…`), that waits for an admin. The core decides
 * who may decide (admins or the allowed groups, never on their own job unless
 * the only admin) and decides once when two click at once; the status message
 * then shows the decision and who made it.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { replyText } from '../../blocks.js';
import { tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { actionJob, jobActionSchema, where } from './job-action.js';

export function decideJobListener(rt: SlackRuntime, outcome: 'approve' | 'deny') {
  return async function onDecideJob({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    if (!parsed.success) return void rt.logger.warn({ issues: parsed.error.issues }, `malformed slack ${outcome} action`);
    const action = parsed.data;
    try {
      if (action.actions[0]!.value.startsWith('b_')) {
        // A storyboard's (or extension's) Approve or Deny: the same rules, on the board the clicker can see.
        const member = rt.places.actorIn(await rt.members.actor(action.team.id, action.user.id, action.user.name), action.channel.id);
        const actor = await rt.members.decider(action.team.id, member);
        const boardId = action.actions[0]!.value;
        const decided = outcome === 'approve' ? await rt.studio.team.approveBoard(actor, boardId) : await rt.studio.team.denyBoard(actor, boardId, undefined);
        return void (await tellPrivately(rt, where(action), replyText({ kind: 'board-decided', ...decided }, await rt.members.markup(action.team.id, action.user.id))));
      }
      const { actor: member, job } = await actionJob(rt, action);
      const actor = await rt.members.decider(action.team.id, member);
      const decided = outcome === 'approve' ? await rt.studio.team.approve(actor, job.id) : await rt.studio.team.deny(actor, job.id, undefined);
      // The thread's status shows the decision to everyone; the clicker also hears that it was theirs.
      await tellPrivately(rt, where(action), replyText({ kind: 'decided', job: decided }, await rt.members.markup(action.team.id, action.user.id)));
    } catch (error) {
      await tellPrivately(rt, where(action), userMessageFor(error, rt.logger, { action: outcome }, await rt.members.markup(action.team.id, action.user.id)));
    }
  };
}
