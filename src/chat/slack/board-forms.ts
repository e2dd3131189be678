/**
 * The two Slack forms of boards (modals opened with views.open and a
 * trigger_id, https://api.slack.com/methods/views.open): `/sora storyboard`
 * without shots opens one with five shot fields, and a delivered video's
 * Extend button one for what happens next. private_metadata carries what the
 * submit needs (channel, thread, the options typed with the command, or the
 * job or board id); what comes back passes the same option schemas as the typed
 * command, and a bad value keeps the form open with the error under its field.
 */
import type { types } from '@slack/bolt';
import { z } from 'zod';
import type { ParsedCommand } from '../../../commands/spec.js';
import { validateCommand } from '../../command-line/options.js';
import { MAX_SHOTS } from '../../core/storyboard-plan.js';

export const STORYBOARD_VIEW = 'sora_storyboard_submit';
export const EXTEND_VIEW = 'sora_extend_submit';
export const EXTEND_BLOCKS = { prompt: 'extend_prompt', seconds: 'extend_seconds' } as const;
/** Every field's input has this action id; the block id tells them apart. */
export const FORM_INPUT = 'value';
export const shotBlock = (n: number) => `shot_${n}`;

/** Where the form was opened, and what it acts on. */
export const formMetadataSchema = z.object({
  channel: z.string().min(1),
  threadTs: z.string().optional(),
  /** The extended job or board. */
  jobId: z.string().min(1).max(40).optional(),
  /** The options typed with `/sora storyboard`, as text. */
  options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});
export type FormMetadata = z.infer<typeof formMetadataSchema>;

const input = (blockId: string, label: string, element: Record<string, unknown>, optional: boolean): types.InputBlock =>
  ({ type: 'input', block_id: blockId, optional, label: { type: 'plain_text', text: label }, element: { type: 'plain_text_input', action_id: FORM_INPUT, ...element } }) as types.InputBlock;

export function storyboardModal(metadata: FormMetadata): types.ModalView {
  return {
    type: 'modal',
    callback_id: STORYBOARD_VIEW,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Storyboard' },
    submit: { type: 'plain_text', text: 'Price it' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'One shot per field, up to five; a shot may end with its own --seconds N. The price is shown before anything is spent.' }] },
      ...Array.from({ length: MAX_SHOTS }, (_, i) =>
        input(shotBlock(i + 1), `Shot ${i + 1}`, { multiline: true, max_length: 800, ...(i === 0 && { placeholder: { type: 'plain_text', text: '@mascot wakes up --seconds 4' } }) }, i > 0),
      ),
    ],
  };
}

/** What the Extend form continues: a job, or a board (its default length is its last shot's). */
export interface ExtendTarget {
  id: string;
  board: boolean;
  defaultSeconds: number;
}

export function extendModal(target: ExtendTarget, metadata: FormMetadata): types.ModalView {
  return {
    type: 'modal',
    callback_id: EXTEND_VIEW,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Extend video' },
    submit: { type: 'plain_text', text: 'Extend' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Continues ${target.board ? 'storyboard' : 'job'} \`${target.id}\` from its last frame; the longer video is posted in its thread. The price is shown before anything is spent.` }] },
      input(EXTEND_BLOCKS.prompt, 'What happens next? (empty: the same prompt)', { multiline: true, max_length: 2000 }, true),
      input(EXTEND_BLOCKS.seconds, `Seconds to add (empty: ${target.defaultSeconds})`, { max_length: 2 }, true),
    ],
  };
}

type Values = Record<string, Record<string, { value?: string | null | undefined }>>;
const valueOf = (values: Values, block: string) => values[block]?.[FORM_INPUT]?.value?.trim() || undefined;

/** The submitted storyboard form as `/sora storyboard shot | shot … [options]`; `clean` turns Slack mentions back into names. */
export function storyboardFromForm(values: Values, meta: FormMetadata, clean: (text: string) => string): ParsedCommand {
  const shots = Array.from({ length: MAX_SHOTS }, (_, i) => valueOf(values, shotBlock(i + 1))).filter((s): s is string => s !== undefined);
  return validateCommand('sora', 'storyboard', { ...meta.options, shots: clean(shots.join(' | ')) }, 'form');
}

export function extendFromForm(values: Values, jobId: string, clean: (text: string) => string): ParsedCommand {
  const prompt = valueOf(values, EXTEND_BLOCKS.prompt);
  return validateCommand('sora', 'extend', { job: jobId, prompt: prompt && clean(prompt), seconds: valueOf(values, EXTEND_BLOCKS.seconds) }, 'form');
}
