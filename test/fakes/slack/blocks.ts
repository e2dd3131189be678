/**
 * What the fake Slack accepts as a message or a modal, field by field from Slack's published Block Kit
 * limits (read 3 December 2026), so blocks real Slack refuses are refused here too, with its
 * `{ok: false, error: 'invalid_blocks'}` (https://api.slack.com/methods/chat.postMessage#errors):
 * - blocks: https://api.slack.com/reference/block-kit/blocks (50 in a message, 100 in a modal; a section's
 *   text 1–3000 characters and at most 10 fields of 2000; a context of 1–10 elements; a header's plain text
 *   of 150; an actions block of 25 elements; an input's label of 2000; a block_id of 255);
 * - elements: https://api.slack.com/reference/block-kit/block-elements (a button's plain text of 75, its
 *   action_id 255 and value 2000, style primary or danger; a plain-text input's placeholder of 150 and
 *   lengths up to 3000);
 * - text objects: https://api.slack.com/reference/block-kit/composition-objects#text (plain_text or mrkdwn,
 *   at least one character);
 * - modals: https://api.slack.com/reference/surfaces/views (title, submit and close of 24; callback_id 255;
 *   private_metadata 3000).
 */
import { z } from 'zod';

const text = (max: number, kinds: readonly ['plain_text'] | readonly ['plain_text', 'mrkdwn'] = ['plain_text', 'mrkdwn']) =>
  z.object({ type: z.enum(kinds), text: z.string().min(1).max(max), emoji: z.boolean().optional(), verbatim: z.boolean().optional() });
const plain = (max: number) => text(max, ['plain_text']);
const blockId = z.string().max(255).optional();

const button = z.object({
  type: z.literal('button'),
  text: plain(75),
  action_id: z.string().max(255).optional(),
  value: z.string().max(2000).optional(),
  url: z.string().max(3000).optional(),
  style: z.enum(['primary', 'danger']).optional(),
});

const plainTextInput = z.object({
  type: z.literal('plain_text_input'),
  action_id: z.string().max(255).optional(),
  initial_value: z.string().optional(),
  multiline: z.boolean().optional(),
  min_length: z.number().int().min(0).max(3000).optional(),
  max_length: z.number().int().min(1).max(3000).optional(),
  placeholder: plain(150).optional(),
});

const image = z.object({ type: z.literal('image'), image_url: z.string().max(3000), alt_text: z.string().max(2000) });

const block = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('section'), block_id: blockId, text: text(3000).optional(), fields: z.array(text(2000)).max(10).optional(), accessory: button.optional() })
    .refine((s) => s.text !== undefined || (s.fields?.length ?? 0) > 0, 'a section needs text or fields'),
  z.object({ type: z.literal('context'), block_id: blockId, elements: z.array(z.union([text(3000), image])).min(1).max(10) }),
  z.object({ type: z.literal('actions'), block_id: blockId, elements: z.array(button).min(1).max(25) }),
  z.object({ type: z.literal('header'), block_id: blockId, text: plain(150) }),
  z.object({ type: z.literal('divider'), block_id: blockId }),
  z.object({ type: z.literal('input'), block_id: blockId, label: plain(2000), element: plainTextInput, hint: plain(2000).optional(), optional: z.boolean().optional() }),
]);

export const MessageBlocks = z.array(block).max(50);

export const ModalView = z.object({
  type: z.literal('modal'),
  title: plain(24),
  submit: plain(24).optional(),
  close: plain(24).optional(),
  callback_id: z.string().max(255).optional(),
  private_metadata: z.string().max(3000).optional(),
  blocks: z.array(block).max(100),
});

/** Slack's answer to blocks it refuses: the error and where, in its `errors` list. */
export function invalidBlocks(error: z.ZodError): { ok: false; error: string; errors: string[] } {
  const issue = error.issues[0]!;
  return { ok: false, error: 'invalid_blocks', errors: [`${issue.message} [json-pointer:/blocks/${issue.path.join('/')}]`] };
}
