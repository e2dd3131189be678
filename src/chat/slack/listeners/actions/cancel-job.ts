/**
 * Cancel button on a job's status message. The core decides who may cancel
 * (the requester or a workspace admin) and only finds jobs of the clicking
 * workspace; the status message then shows who cancelled.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { actionJob, jobActionSchema, where } from './job-action.js';

export function cancelJobListener(rt: SlackRuntime) {
  return async function onCancelJob({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    if (!parsed.success) return void rt.logger.warn({ issues: parsed.error.issues }, 'malformed slack cancel action');
    const action = parsed.data;
    try {
      const { actor, job } = await actionJob(rt, action);
      await rt.studio.cancel(actor, job.id);
    } catch (error) {
      await tellPrivately(rt, where(action), userMessageFor(error, rt.logger, { action: 'cancel' }, await rt.members.markup(action.team.id, action.user.id)));
    }
  };
}
