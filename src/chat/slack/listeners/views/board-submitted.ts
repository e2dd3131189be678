/**
 * The storyboard and extend forms' submits (board-forms.ts). Input errors keep
 * the form open with the sentence under the field, which Slack only allows in
 * the ack; past the ack the board is planned and reserved, the acceptance
 * (price, budget left) goes privately to the member, and the board starts:
 * its thread, or for an extension the original's thread, shows the rest.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { runCommand, type ParsedCommand } from '../../../../../commands/index.js';
import { CommandInputError } from '../../../../command-line/options.js';
import { EXTEND_BLOCKS, extendFromForm, formMetadataSchema, shotBlock, storyboardFromForm, type FormMetadata } from '../../board-forms.js';
import { replyText } from '../../blocks.js';
import { tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
import { mentionsToNames, unescapeSlackText } from '../../slack-text.js';
import { slackRef } from '../../surface.js';

const submissionSchema = z.object({
  team: z.object({ id: z.string().min(1) }),
  user: z.object({ id: z.string().min(1), name: z.string().optional() }),
  view: z.object({
    private_metadata: z.string(),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))) }),
  }),
});

export function boardSubmittedListener(rt: SlackRuntime, kind: 'storyboard' | 'extend') {
  const firstField = kind === 'storyboard' ? shotBlock(1) : EXTEND_BLOCKS.prompt;
  return async function onBoardSubmitted({ ack, body }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    const parsed = submissionSchema.safeParse(body);
    const meta = parsed.success ? formMetadataSchema.safeParse(safeJson(parsed.data.view.private_metadata)) : undefined;
    if (!parsed.success || !meta?.success || (kind === 'extend' && !meta.data.jobId)) {
      rt.logger.warn({ kind }, 'malformed slack board form submission');
      await ack({ response_action: 'errors', errors: { [firstField]: 'This form could not be read. Close it and open it again.' } });
      return;
    }
    const { team, user, view } = parsed.data;
    const clean = (text: string) => mentionsToNames(unescapeSlackText(text), () => undefined);
    let command: ParsedCommand;
    try {
      command = kind === 'storyboard' ? storyboardFromForm(view.state.values, meta.data, clean) : extendFromForm(view.state.values, meta.data.jobId!, clean);
    } catch (error) {
      if (!(error instanceof CommandInputError)) throw error;
      const field = kind === 'extend' && /seconds/i.test(error.userMessage) ? EXTEND_BLOCKS.seconds : firstField;
      await ack({ response_action: 'errors', errors: { [field]: error.userMessage } });
      return;
    }
    await ack();
    await rt.afterAck.run(() => launch(rt, team.id, user, meta.data, command));
  };
}

async function launch(rt: SlackRuntime, team: string, user: { id: string; name?: string | undefined }, meta: FormMetadata, command: ParsedCommand): Promise<void> {
  const here = { channel: meta.channel, user: user.id, ...(meta.threadTs ? { threadTs: meta.threadTs } : {}) };
  try {
    const actor = rt.places.actorIn(await rt.members.actor(team, user.id, user.name), meta.channel);
    const reply = await runCommand(command, { studio: rt.studio, actor, surface: slackRef(team, meta.channel) });
    await tellPrivately(rt, here, replyText(reply, await rt.members.markup(team, user.id)));
    if (reply.kind === 'board-accepted') await rt.studio.boards.start(reply.accepted.board.id);
  } catch (error) {
    await tellPrivately(rt, here, userMessageFor(error, rt.logger, { action: `${command.subcommand}-submit` }, await rt.members.markup(team, user.id)));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
