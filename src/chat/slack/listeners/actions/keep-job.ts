/**
 * Keep button on a finished take (`--takes`): marks it as its request's
 * result. The core decides who may keep (the requester or a workspace admin);
 * the choice is said in the thread, where everyone following the takes sees it.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { describeReply } from '../../../../core/present.js';
import { tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { actionJob, jobActionSchema, where } from './job-action.js';

export function keepJobListener(rt: SlackRuntime) {
  return async function onKeepJob({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    if (!parsed.success) return void rt.logger.warn({ issues: parsed.error.issues }, 'malformed slack keep action');
    const action = parsed.data;
    try {
      const { actor, job: found, ref } = await actionJob(rt, action);
      const job = await rt.studio.keep(actor, found.id);
      const text = describeReply({ kind: 'kept', job }, await rt.members.markup(action.team.id, action.user.id));
      await rt.client.chat.postMessage({ channel: action.channel.id, ...(ref.parentTs && { thread_ts: ref.parentTs }), text });
    } catch (error) {
      await tellPrivately(rt, where(action), userMessageFor(error, rt.logger, { action: 'keep' }, await rt.members.markup(action.team.id, action.user.id)));
    }
  };
}
