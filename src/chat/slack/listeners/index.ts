/** Every Slack listener, one per file, registered on the Bolt app here. */
import type { App } from '@slack/bolt';
import { COMMANDS } from '../../../../commands/index.js';
import { ACTION, REMIX_VIEW } from '../blocks.js';
import type { SlackRuntime } from '../runtime.js';
import { BOARD_ACTION } from '../board-surface.js';
import { EXTEND_VIEW, STORYBOARD_VIEW } from '../board-forms.js';
import { boardShotsListener, retryShotListener } from './actions/board-actions.js';
import { cancelJobListener } from './actions/cancel-job.js';
import { extendJobListener } from './actions/extend-job.js';
import { decideJobListener } from './actions/decide-job.js';
import { keepJobListener } from './actions/keep-job.js';
import { remixJobListener } from './actions/remix-job.js';
import { retryJobListener } from './actions/retry-job.js';
import { slashCommandListener } from './slash-command.js';
import { boardSubmittedListener } from './views/board-submitted.js';
import { remixSubmittedListener } from './views/remix-submitted.js';

export function register(app: App, rt: SlackRuntime): void {
  // The command names come from the specs, like the manifest's, so the two cannot drift apart.
  const onSlashCommand = slashCommandListener(rt);
  for (const command of COMMANDS) app.command(`/${command.name}`, onSlashCommand);
  app.action(ACTION.cancel, cancelJobListener(rt));
  app.action(ACTION.approve, decideJobListener(rt, 'approve'));
  app.action(ACTION.deny, decideJobListener(rt, 'deny'));
  app.action(ACTION.remix, remixJobListener(rt));
  app.action(ACTION.retry, retryJobListener(rt));
  app.action(ACTION.keep, keepJobListener(rt));
  app.action(ACTION.extend, extendJobListener(rt));
  app.action(BOARD_ACTION.retryShot, retryShotListener(rt));
  app.action(BOARD_ACTION.shots, boardShotsListener(rt));
  app.view(REMIX_VIEW, remixSubmittedListener(rt));
  app.view(STORYBOARD_VIEW, boardSubmittedListener(rt, 'storyboard'));
  app.view(EXTEND_VIEW, boardSubmittedListener(rt, 'extend'));
}
