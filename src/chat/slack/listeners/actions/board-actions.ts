/**
 * A storyboard's buttons: "Retry shot N" renders that shot again, reserved from
 * the budget of whoever clicked; "Shots" uploads the single shots into the
 * board's thread. Both answer only for a board the clicker can see.
 */
import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { uploadShots } from '../../board-surface.js';
import { jobActionSchema, where, type JobAction } from './job-action.js';

async function actorOf(rt: SlackRuntime, action: JobAction) {
  return rt.places.actorIn(await rt.members.actor(action.team.id, action.user.id, action.user.name), action.channel.id);
}

export function retryShotListener(rt: SlackRuntime) {
  return async function onRetryShot({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    const value = parsed.success ? /^(b_[a-z0-9]+)-([1-5])$/.exec(parsed.data.actions[0]!.value) : null;
    if (!parsed.success || !value) return void rt.logger.warn({}, 'malformed slack retry-shot action');
    try {
      await rt.studio.boards.retry(await actorOf(rt, parsed.data), value[1]!, Number(value[2]));
    } catch (error) {
      await tellPrivately(rt, where(parsed.data), userMessageFor(error, rt.logger, { action: 'retry-shot' }, await rt.members.markup(parsed.data.team.id, parsed.data.user.id)));
    }
  };
}

export function boardShotsListener(rt: SlackRuntime) {
  return async function onShots({ ack, body }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    await ack();
    const parsed = jobActionSchema.safeParse(body);
    if (!parsed.success) return void rt.logger.warn({ issues: parsed.error.issues }, 'malformed slack shots action');
    try {
      const actor = await actorOf(rt, parsed.data);
      const boardId = parsed.data.actions[0]!.value;
      const { board } = await rt.studio.boards.view(actor, boardId);
      await uploadShots(rt.client, board, await rt.studio.boards.shotFiles(actor, boardId));
    } catch (error) {
      await tellPrivately(rt, where(parsed.data), userMessageFor(error, rt.logger, { action: 'shots' }, await rt.members.markup(parsed.data.team.id, parsed.data.user.id)));
    }
  };
}
