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
import { chatMarkdown, type Markup } from '../../core/markup.js';
import { words } from '../../core/messages.js';
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

/** The storyboard form, in the member's language. */
export function storyboardModal(metadata: FormMetadata, m: Markup = chatMarkdown): types.ModalView {
  const t = words(m);
  return {
    type: 'modal',
    callback_id: STORYBOARD_VIEW,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: t('form.storyboard-title') },
    submit: { type: 'plain_text', text: t('form.price-it') },
    close: { type: 'plain_text', text: t('form.cancel') },
    blocks: [
      { type: 'context', elements: [{ type: 'mrkdwn', text: t('form.storyboard-note', { maxShots: MAX_SHOTS }) }] },
      ...Array.from({ length: MAX_SHOTS }, (_, i) =>
        input(shotBlock(i + 1), t('form.shot', { shot: i + 1 }), { multiline: true, max_length: 800, ...(i === 0 && { placeholder: { type: 'plain_text', text: '@mascot wakes up --seconds 4' } }) }, i > 0),
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

/** The extend form, in the member's language. */
export function extendModal(target: ExtendTarget, metadata: FormMetadata, m: Markup = chatMarkdown): types.ModalView {
  const t = words(m);
  return {
    type: 'modal',
    callback_id: EXTEND_VIEW,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: t('form.slack-extend-title') },
    submit: { type: 'plain_text', text: t('form.extend') },
    close: { type: 'plain_text', text: t('form.cancel') },
    blocks: [
      { type: 'context', elements: [{ type: 'mrkdwn', text: t('form.extend-note', { id: target.id, board: target.board }) }] },
      input(EXTEND_BLOCKS.prompt, t('form.extend-prompt'), { multiline: true, max_length: 2000 }, true),
      input(EXTEND_BLOCKS.seconds, t('form.extend-seconds', { defaultSeconds: target.defaultSeconds }), { max_length: 2 }, true),
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
