/** Every Slack listener, one per file, registered on the Bolt app here. */
import type { AllMiddlewareArgs, App, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
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

type ActionListener = (args: SlackActionMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;
type ViewListener = (args: SlackViewMiddlewareArgs & AllMiddlewareArgs) => Promise<void>;

/** Matches exactly these names and nothing else, so what the bot does not handle stays unmatched, as before. */
const exactly = (names: string[]): RegExp => new RegExp(`^(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`);

/**
 * One Bolt listener per kind (commands, button actions, form submissions), each dispatching by name
 * here. Bolt runs every registered listener's middleware chain for every request it receives; with a
 * listener per command and per button (16), each slash command paid 16 chains before its ack
 * (Socket Mode burst p99, bench/README.md: 210-303 ms with 16, 96-154 ms with one).
 */
export function register(app: App, rt: SlackRuntime): void {
  // The command names come from the specs, like the manifest's, so the two cannot drift apart.
  app.command(exactly(COMMANDS.map((command) => `/${command.name}`)), slashCommandListener(rt));
  const actions = new Map<string, ActionListener>([
    [ACTION.cancel, cancelJobListener(rt)],
    [ACTION.approve, decideJobListener(rt, 'approve')],
    [ACTION.deny, decideJobListener(rt, 'deny')],
    [ACTION.remix, remixJobListener(rt)],
    [ACTION.retry, retryJobListener(rt)],
    [ACTION.keep, keepJobListener(rt)],
    [ACTION.extend, extendJobListener(rt)],
    [BOARD_ACTION.retryShot, retryShotListener(rt)],
    [BOARD_ACTION.shots, boardShotsListener(rt)],
  ]);
  app.action(exactly([...actions.keys()]), (args) => actions.get(actionId(args.payload))!(args));
  const views = new Map<string, ViewListener>([
    [REMIX_VIEW, remixSubmittedListener(rt)],
    [STORYBOARD_VIEW, boardSubmittedListener(rt, 'storyboard')],
    [EXTEND_VIEW, boardSubmittedListener(rt, 'extend')],
  ]);
  app.view(exactly([...views.keys()]), (args) => views.get(args.view.callback_id)!(args));
}

/** The id the action constraint above matched on (Bolt matches `action_id` for a string or pattern). */
function actionId(payload: SlackActionMiddlewareArgs['payload']): string {
  return 'action_id' in payload ? payload.action_id : '';
}
