/**
 * The remix modal's submit. The prompt passes the same option schema as
 * `/sora remix` (length, control characters); a bad prompt keeps the modal
 * open with the error under the field, which Slack only allows in the ack.
 */
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { CommandInputError, validateCommand } from '../../../../command-line/options.js';
import { REMIX_BLOCK, REMIX_INPUT } from '../../blocks.js';
import { jobThreadOpener, tellPrivately, userMessageFor, type SlackRuntime } from '../../runtime.js';
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
const metadataSchema = z.object({ jobId: z.string().min(1).max(40), channel: z.string().min(1), threadTs: z.string().optional() });

export function remixSubmittedListener(rt: SlackRuntime) {
  return async function onRemixSubmitted({ ack, body }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> {
    const parsed = submissionSchema.safeParse(body);
    const meta = parsed.success ? metadataSchema.safeParse(safeJson(parsed.data.view.private_metadata)) : undefined;
    if (!parsed.success || !meta?.success) {
      rt.logger.warn('malformed slack remix submission');
      await ack({ response_action: 'errors', errors: { [REMIX_BLOCK]: 'This form could not be read. Close it and press Remix again.' } });
      return;
    }
    const { team, user } = parsed.data;
    const { jobId, channel, threadTs } = meta.data;
    const raw = parsed.data.view.state.values[REMIX_BLOCK]?.[REMIX_INPUT]?.value ?? '';
    let prompt: string;
    try {
      const command = validateCommand('sora', 'remix', { job: jobId, prompt: mentionsToNames(unescapeSlackText(raw), () => undefined) }, 'form');
      prompt = String(command.options.prompt);
    } catch (error) {
      if (!(error instanceof CommandInputError)) throw error;
      await ack({ response_action: 'errors', errors: { [REMIX_BLOCK]: error.userMessage } });
      return;
    }
    await ack();
    const here = { channel, user: user.id, ...(threadTs ? { threadTs } : {}) };
    try {
      const actor = rt.places.actorIn(await rt.members.actor(team.id, user.id, user.name), channel);
      await rt.studio.launch(actor, { surface: slackRef(team.id, channel), remixOf: jobId, prompt }, jobThreadOpener(rt, channel, await rt.members.markup(team.id, user.id)));
    } catch (error) {
      await tellPrivately(rt, here, userMessageFor(error, rt.logger, { action: 'remix-submit' }, await rt.members.markup(team.id, user.id)));
    }
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
