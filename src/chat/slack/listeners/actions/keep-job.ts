/**
 * Keep button on a finished take (`--takes`): marks it as its request's
 * result. The core decides who may keep (the requester or a workspace admin);
 * the choice is said in the thread, where everyone following the takes sees it.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { UserFacingError } from '../../../../core/errors.js';
import { describeReply } from '../../../../core/present.js';
import { tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { slackRefSchema } from '../../surface.js';
import { jobActionSchema, where } from './job-action.js';

export function keepJobListener(rt: SlackRuntime) {
  return async function onKeepJob({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    if (!parsed.success) return void rt.logger.warn({ issues: parsed.error.issues }, 'malformed slack keep action');
    const action = parsed.data;
    try {
      const actor = rt.places.actorIn(await rt.members.actor(action.team.id, action.user.id, action.user.name), action.channel.id);
      const found = await rt.studio.job(actor, action.actions[0]!.value);
      const ref = slackRefSchema.safeParse(found.surface);
      if (!ref.success || ref.data.channel !== action.channel.id) throw new UserFacingError('unknown_job', 'That button does not belong to a job in this channel.');
      const job = await rt.studio.keep(actor, found.id);
      const text = describeReply({ kind: 'kept', job });
      await rt.client.chat.postMessage({ channel: action.channel.id, ...(ref.data.parentTs && { thread_ts: ref.data.parentTs }), text });
    } catch (error) {
      await tellPrivately(rt, where(action), userMessageFor(error, rt.logger, { action: 'keep' }));
    }
  };
}
