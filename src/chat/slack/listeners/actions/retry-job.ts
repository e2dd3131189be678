/**
 * Retry button: the same request again, priced and budgeted for whoever
 * clicked (it is their budget that pays), in a new thread.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { jobThreadOpener, tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { slackRef } from '../../surface.js';
import { jobActionSchema, where } from './job-action.js';

export function retryJobListener(rt: SlackRuntime) {
  return async function onRetryJob({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    if (!parsed.success) return void rt.logger.warn({ issues: parsed.error.issues }, 'malformed slack retry action');
    const action = parsed.data;
    try {
      const actor = rt.places.actorIn(await rt.members.actor(action.team.id, action.user.id, action.user.name), action.channel.id);
      const original = await rt.studio.job(actor, action.actions[0]!.value);
      await rt.studio.launch(actor, { surface: slackRef(action.team.id, action.channel.id), input: original.input }, jobThreadOpener(rt, action.channel.id, await rt.members.markup(action.team.id, action.user.id)));
    } catch (error) {
      await tellPrivately(rt, where(action), userMessageFor(error, rt.logger, { action: 'retry' }, await rt.members.markup(action.team.id, action.user.id)));
    }
  };
}
