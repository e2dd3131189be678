/**
 * What the fake Discord accepts as a message, an interaction answer or a thread, field by field from Discord's
 * published limits (read 3 December 2026), so a body real Discord refuses is refused here too, with its
 * 400 `{code: 50035, message: 'Invalid Form Body', errors}`:
 * - message content, embeds, allowed mentions, flags, nonce:
 *   https://discord.com/developers/docs/resources/message#create-message and
 *   https://discord.com/developers/docs/resources/message#embed-object-embed-limits
 *   (content 2000 characters; 10 embeds; title 256, description 4096, 25 fields of 256/1024, footer 2048,
 *   author 256, 6000 in all; a nonce of at most 25 characters);
 * - buttons and rows: https://discord.com/developers/docs/components/reference#action-row and #button
 *   (5 rows of at most 5 buttons; a label of 80, a custom_id of 1–100; a link button has a url, no custom_id);
 * - modals and text inputs: https://discord.com/developers/docs/components/reference#text-input and
 *   https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal
 *   (a title of 45, a custom_id of 100, 1–5 rows; a label of 45, a placeholder of 100, a value and lengths up to 4000);
 * - interaction answers: https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object
 *   (the callback types; a defer may carry only the EPHEMERAL flag);
 * - threads: https://discord.com/developers/docs/resources/channel#start-thread-from-message
 *   (a name of 1–100; auto_archive_duration 60, 1440, 4320 or 10080 minutes).
 * An empty new message is Discord's 50006 "Cannot send an empty message".
 */
import { z } from 'zod';

const EPHEMERAL = 1 << 6;

const embed = z
  .object({
    title: z.string().max(256).optional(),
    description: z.string().max(4096).optional(),
    url: z.string().optional(),
    color: z.number().int().optional(),
    timestamp: z.string().optional(),
    footer: z.object({ text: z.string().max(2048), icon_url: z.string().optional() }).optional(),
    author: z.object({ name: z.string().max(256), url: z.string().optional(), icon_url: z.string().optional() }).optional(),
    fields: z.array(z.object({ name: z.string().max(256), value: z.string().max(1024), inline: z.boolean().optional() })).max(25).optional(),
    image: z.object({ url: z.string() }).optional(),
    thumbnail: z.object({ url: z.string() }).optional(),
  })
  .refine(
    (e) => (e.title ?? '').length + (e.description ?? '').length + (e.footer?.text.length ?? 0) + (e.author?.name.length ?? 0) + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0) <= 6000,
    'an embed holds at most 6000 characters in all',
  );

const button = z
  .object({
    type: z.literal(2),
    style: z.number().int().min(1).max(6),
    label: z.string().max(80).optional(),
    custom_id: z.string().min(1).max(100).optional(),
    url: z.string().optional(),
    disabled: z.boolean().optional(),
    emoji: z.object({ name: z.string().optional(), id: z.string().optional() }).optional(),
  })
  .refine((b) => (b.style === 5 ? b.url !== undefined && b.custom_id === undefined : b.custom_id !== undefined && b.url === undefined), 'a link button has a url; any other has a custom_id');

const messageRow = z.object({ type: z.literal(1), components: z.array(button).min(1).max(5) });

const allowedMentions = z
  .object({
    parse: z.array(z.enum(['roles', 'users', 'everyone'])).optional(),
    roles: z.array(z.string()).max(100).optional(),
    users: z.array(z.string()).max(100).optional(),
    replied_user: z.boolean().optional(),
  })
  .strict();

/** The fields of a message body the bot may send; unknown ones are let through, as Discord ignores them. */
const messageFields = {
  content: z.string().max(2000).optional(),
  embeds: z.array(embed).max(10).optional(),
  components: z.array(messageRow).max(5).optional(),
  allowed_mentions: allowedMentions.optional(),
  flags: z.number().int().nonnegative().optional(),
  nonce: z.union([z.number().int(), z.string().max(25)]).optional(),
  enforce_nonce: z.boolean().optional(),
  attachments: z.array(z.object({ id: z.union([z.string(), z.number()]) }).passthrough()).optional(),
};

export const MessageEdit = z.object(messageFields).passthrough();

const textInput = z.object({
  type: z.literal(4),
  custom_id: z.string().min(1).max(100),
  style: z.union([z.literal(1), z.literal(2)]),
  label: z.string().min(1).max(45),
  min_length: z.number().int().min(0).max(4000).optional(),
  max_length: z.number().int().min(1).max(4000).optional(),
  required: z.boolean().optional(),
  value: z.string().max(4000).optional(),
  placeholder: z.string().max(100).optional(),
});

const modal = z.object({
  custom_id: z.string().min(1).max(100),
  title: z.string().min(1).max(45),
  components: z.array(z.object({ type: z.literal(1), components: z.array(textInput).length(1) })).min(1).max(5),
});

/** An interaction's first answer (the callback route, or the HTTP response to Discord's POST). */
export const InteractionAnswer = z.discriminatedUnion('type', [
  z.object({ type: z.literal(1) }),
  z.object({ type: z.literal(4), data: MessageEdit }),
  // A defer may carry only the EPHEMERAL flag.
  z.object({ type: z.literal(5), data: z.object({ flags: z.number().int().refine((f) => (f & ~EPHEMERAL) === 0, 'a defer may carry only the EPHEMERAL flag').optional() }).optional() }),
  z.object({ type: z.literal(6) }),
  z.object({ type: z.literal(7), data: MessageEdit }),
  z.object({ type: z.literal(8), data: z.object({ choices: z.array(z.object({ name: z.string().min(1).max(100), value: z.union([z.string().max(100), z.number()]) })).max(25) }) }),
  z.object({ type: z.literal(9), data: modal }),
]);

export const StartThread = z.object({
  name: z.string().min(1).max(100),
  auto_archive_duration: z.union([z.literal(60), z.literal(1440), z.literal(4320), z.literal(10080)]).optional(),
  rate_limit_per_user: z.number().int().min(0).max(21600).optional(),
});

/**
 * Discord's answer to a body it refuses: the first problem, nested under its path as Discord nests it
 * (`{errors: {embeds: {0: {title: {_errors: [...]}}}}}`).
 */
export function formError(error: z.ZodError): { message: string; code: number; errors: Record<string, unknown> } {
  const issue = error.issues[0]!;
  let errors: Record<string, unknown> = { _errors: [{ code: 'BASE_TYPE_INVALID', message: issue.message }] };
  for (const key of [...issue.path].reverse()) errors = { [String(key)]: errors };
  return { message: 'Invalid Form Body', code: 50035, errors };
}

/** A new message needs something to show (content, an embed, a component or a file). */
export function isEmptyMessage(body: Record<string, unknown>, files: unknown[]): boolean {
  const nonEmpty = (v: unknown) => (typeof v === 'string' ? v.length > 0 : Array.isArray(v) ? v.length > 0 : false);
  return !nonEmpty(body.content) && !nonEmpty(body.embeds) && !nonEmpty(body.components) && files.length === 0 && body.poll === undefined && !nonEmpty(body.sticker_ids);
}
