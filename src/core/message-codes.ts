/**
 * Every message code the bot uses and its parameters. Amounts are micro-dollars
 * and times milliseconds, so each language formats them its own way; names and
 * prompts are the users' own words and pass through as they are.
 */
import type { ReplyParams } from './message-codes-replies.js';
import type { ErrorParams } from './message-codes-errors.js';
import type { SurfaceParams } from './message-codes-surfaces.js';
import type { OutcomeParams } from './message-codes-outcomes.js';
import type { TeamParams } from './message-codes-team.js';

/** A message with no parameters. */
export type None = Record<string, never>;

export type MessageParams = ReplyParams & ErrorParams & SurfaceParams & OutcomeParams & TeamParams;
