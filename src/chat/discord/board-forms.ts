/**
 * The two Discord forms of boards (modals,
 * https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal):
 * `/sora storyboard` without shots opens one with five shot fields, and the
 * Extend button of a delivered video (a job's or a board's) opens one for what happens next. A form
 * is the first answer to its interaction (no defer before it). Its custom id
 * carries everything the submit needs (the options typed with the command,
 * or the job or board id), so a form opened before a restart still works after it;
 * what comes back passes the same option schemas as the typed command.
 */
import { ActionRowBuilder, ModalBuilder, TextInputBuilder, TextInputStyle, type ModalSubmitInteraction } from 'discord.js';
import { z } from 'zod';
import type { ParsedCommand } from '../../../commands/spec.js';
import { validateCommand } from '../../command-line/options.js';
import type { Markup } from '../../core/markup.js';
import { msg, render } from '../../core/messages.js';
import { MAX_SHOTS } from '../../core/storyboard-plan.js';
import { EXTEND_FIELDS } from './custom-ids.js';

const FORM_PREFIX = 'board:form:';
/** The storyboard options a form carries, by short key (a custom id holds at most 100 characters). */
const KEYS = { s: 'seconds', o: 'orientation', r: 'resolution', a: 'audio', q: 'quality', c: 'continuous', b: 'backend' } as const;
type Key = keyof typeof KEYS;
const shotField = (n: number) => `shot${n}`;

const formIdSchema = z
  .string()
  .max(100)
  .startsWith(FORM_PREFIX)
  .transform((id) => id.slice(FORM_PREFIX.length))
  .pipe(z.string().regex(/^([a-z]=[^;=]*(;|$))*$/));

/** `board:form:s=4;o=portrait;c=1`: the options given with `/sora storyboard`, or undefined when they do not fit an id. */
export function storyboardFormId(options: ParsedCommand['options']): string | undefined {
  const parts: string[] = [];
  for (const [key, name] of Object.entries(KEYS) as [Key, string][]) {
    const value = options[name];
    if (value === undefined) continue;
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    if (/[;=]/.test(text)) return undefined;
    parts.push(`${key}=${text}`);
  }
  const id = `${FORM_PREFIX}${parts.join(';')}`;
  return id.length <= 100 ? id : undefined;
}

export function isStoryboardForm(customId: string): boolean {
  return customId.startsWith(FORM_PREFIX);
}

/** Five shot fields; the first is required, an empty one is left out. */
export function storyboardModal(customId: string): ModalBuilder {
  const rows = Array.from({ length: MAX_SHOTS }, (_, i) =>
    new ActionRowBuilder<TextInputBuilder>().addComponents(
      new TextInputBuilder()
        .setCustomId(shotField(i + 1))
        .setLabel(`Shot ${i + 1}`)
        .setStyle(TextInputStyle.Paragraph)
        .setPlaceholder(i === 0 ? '@mascot wakes up --seconds 4' : 'optional')
        .setMaxLength(800)
        .setRequired(i === 0),
    ),
  );
  return new ModalBuilder().setCustomId(customId).setTitle('Storyboard').addComponents(...rows);
}

/** The submitted form as the command `/sora storyboard shot | shot … [options]` would have been typed. */
export function storyboardFromForm(interaction: ModalSubmitInteraction): ParsedCommand {
  const parsed = formIdSchema.safeParse(interaction.customId);
  const raw: Record<string, unknown> = {};
  if (parsed.success && parsed.data) {
    for (const pair of parsed.data.split(';')) {
      const [key, value] = pair.split('=') as [Key, string];
      const name = KEYS[key];
      if (!name) continue;
      // Back to text the option schemas read ('1' is a yes).
      raw[name] = name === 'continuous' ? String(value === '1') : value;
    }
  }
  const shots = Array.from({ length: MAX_SHOTS }, (_, i) => textOf(interaction, shotField(i + 1)).trim()).filter((s) => s !== '');
  return validateCommand('sora', 'storyboard', { ...raw, shots: shots.join(' | ') }, 'form');
}

/**
 * What happens next (empty: the same prompt) and for how long (empty: `defaultSeconds`, as long as the
 * original or a board's last shot). `customId` names the job (`job:extend:j_…`) or board (`board:extend:b_…`).
 */
export function extendModal(customId: string, defaultSeconds: number, m: Markup): ModalBuilder {
  return new ModalBuilder()
    .setCustomId(customId)
    .setTitle(render(msg('form.extend-title'), m))
    .addComponents(
      new ActionRowBuilder<TextInputBuilder>().addComponents(
        new TextInputBuilder()
          .setCustomId(EXTEND_FIELDS.prompt)
          .setLabel(render(msg('form.extend-prompt'), m))
          .setStyle(TextInputStyle.Paragraph)
          .setMaxLength(2000)
          .setRequired(false),
      ),
      new ActionRowBuilder<TextInputBuilder>().addComponents(
        new TextInputBuilder()
          .setCustomId(EXTEND_FIELDS.seconds)
          .setLabel(render(msg('form.extend-seconds', { defaultSeconds }), m))
          .setStyle(TextInputStyle.Short)
          .setMaxLength(2)
          .setRequired(false),
      ),
    );
}

/** The submitted extend form as `/sora extend <job or board> [--prompt …] [--seconds N]`. */
export function extendFromForm(interaction: ModalSubmitInteraction, jobId: string): ParsedCommand {
  // Typed text, as on Slack and the console: the integer option's schema reads it or says what is wrong.
  const field = (id: string) => textOf(interaction, id).trim() || undefined;
  return validateCommand('sora', 'extend', { job: jobId, prompt: field(EXTEND_FIELDS.prompt), seconds: field(EXTEND_FIELDS.seconds) }, 'form');
}

/** A text field's value; a field left empty may be missing from the submission. */
function textOf(interaction: ModalSubmitInteraction, customId: string): string {
  const field = interaction.fields.fields.get(customId);
  return field && 'value' in field && typeof field.value === 'string' ? field.value : '';
}
