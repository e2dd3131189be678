/**
 * The Discord application-command payload, derived from the command specs in
 * `commands/`, so Discord, Slack and the text parser can never disagree.
 * `register.ts` sends it; the test keeps a reviewed snapshot of it.
 */
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  PermissionFlagsBits,
  type APIApplicationCommandOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { COMMANDS } from '../../../commands/index.js';
import type { CommandSpec, OptionSpec, OptionType, SubcommandSpec } from '../../../commands/spec.js';

export type CommandPayload = RESTPostAPIChatInputApplicationCommandsJSONBody;

const OPTION_TYPES: Record<OptionType, ApplicationCommandOptionType> = {
  string: ApplicationCommandOptionType.String,
  integer: ApplicationCommandOptionType.Integer,
  number: ApplicationCommandOptionType.Number,
  user: ApplicationCommandOptionType.User,
  attachment: ApplicationCommandOptionType.Attachment,
  boolean: ApplicationCommandOptionType.Boolean,
};

/** Manage Server: the permission Discord server admins already use for bot settings. */
export const ADMIN_PERMISSION = PermissionFlagsBits.ManageGuild;

// Discord rejects the whole bulk overwrite when one description is over 100 characters;
// failing here names the spec instead.
function description(text: string, where: string): string {
  if (text.length < 1 || text.length > 100) throw new Error(`${where}: Discord descriptions must be 1–100 characters (got ${text.length}).`);
  return text;
}

function optionPayload(option: OptionSpec, where: string): APIApplicationCommandOption {
  const base = {
    type: OPTION_TYPES[option.type],
    name: option.name,
    description: description(option.description.en, `${where} ${option.name}`),
    description_localizations: { ko: description(option.description.ko, `${where} ${option.name} (ko)`) },
    required: option.required ?? false,
  };
  const extra: Record<string, unknown> = {};
  if (option.type === 'string') {
    if (option.minLength !== undefined) extra.min_length = option.minLength;
    // Discord caps string options at 6000 characters.
    if (option.maxLength !== undefined) extra.max_length = Math.min(option.maxLength, 6000);
  }
  if (option.type === 'integer' || option.type === 'number') {
    if (option.min !== undefined) extra.min_value = option.min;
    if (option.max !== undefined) extra.max_value = option.max;
  }
  // Discord allows either fixed choices or autocomplete on one option, never both.
  if (option.autocomplete) extra.autocomplete = true;
  else if (option.choices) {
    extra.choices = option.choices.map((c) => ({ name: c.label.en, name_localizations: { ko: c.label.ko }, value: c.value }));
  }
  return { ...base, ...extra } as APIApplicationCommandOption;
}

/** Discord requires required options before optional ones. */
function optionsPayload(options: readonly OptionSpec[], where: string): APIApplicationCommandOption[] {
  const ordered = [...options.filter((o) => o.required), ...options.filter((o) => !o.required)];
  return ordered.map((o) => optionPayload(o, where));
}

function subcommandPayload(command: CommandSpec, sub: SubcommandSpec): APIApplicationCommandOption {
  const where = `/${command.name} ${sub.name}`;
  return {
    type: ApplicationCommandOptionType.Subcommand,
    name: sub.name,
    description: description(sub.description.en, where),
    description_localizations: { ko: description(sub.description.ko, `${where} (ko)`) },
    options: optionsPayload(sub.options, where) as never,
  };
}

/**
 * `default_member_permissions` applies to a whole top-level command, never to a
 * subcommand, so it is only set when every part of the command is admin-only;
 * a command mixing member and admin subcommands (/budget show|set) stays
 * visible to everyone and the bot checks Manage Server itself.
 */
export function isAdminOnly(command: CommandSpec): boolean {
  if (command.permission === 'admin') return true;
  return command.subcommands !== undefined && command.subcommands.length > 0 && command.subcommands.every((s) => s.permission === 'admin');
}

export function commandPayload(command: CommandSpec): CommandPayload {
  const where = `/${command.name}`;
  return {
    type: ApplicationCommandType.ChatInput,
    name: command.name,
    description: description(command.description.en, where),
    description_localizations: { ko: description(command.description.ko, `${where} (ko)`) },
    default_member_permissions: isAdminOnly(command) ? String(ADMIN_PERMISSION) : null,
    // Budgets, characters and threads belong to a server: the bot is installed to servers and used there.
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
    options: command.subcommands
      ? command.subcommands.map((s) => subcommandPayload(command, s))
      : optionsPayload(command.options ?? [], where),
  };
}

export function applicationCommandsPayload(commands: readonly CommandSpec[] = COMMANDS): CommandPayload[] {
  return commands.map(commandPayload);
}

// ---------------------------------------------------------------------------
// Diffing against what Discord already has, so `npm run register` can say what changed
// ---------------------------------------------------------------------------

type Loose = Record<string, unknown>;

/** Discord echoes commands back with ids, versions and defaults filled in; compare only what we send. */
function canonicalOption(option: Loose): Loose {
  return {
    type: option.type,
    name: option.name,
    description: option.description,
    description_localizations: option.description_localizations ?? {},
    required: option.required ?? false,
    autocomplete: option.autocomplete ?? false,
    min_length: option.min_length ?? null,
    max_length: option.max_length ?? null,
    min_value: option.min_value ?? null,
    max_value: option.max_value ?? null,
    choices: ((option.choices as Loose[] | undefined) ?? []).map((c) => ({ name: c.name, name_localizations: c.name_localizations ?? {}, value: c.value })),
    options: ((option.options as Loose[] | undefined) ?? []).map(canonicalOption),
  };
}

export function canonicalCommand(command: Loose): Loose {
  return {
    name: command.name,
    description: command.description,
    description_localizations: command.description_localizations ?? {},
    default_member_permissions: command.default_member_permissions ?? null,
    contexts: command.contexts ?? null,
    integration_types: command.integration_types ?? null,
    options: ((command.options as Loose[] | undefined) ?? []).map(canonicalOption),
  };
}

export interface CommandChange {
  kind: 'added' | 'changed' | 'removed';
  name: string;
  /** For `changed`: which top-level fields differ. */
  fields: string[];
}

export function diffCommands(existing: Loose[], desired: CommandPayload[]): CommandChange[] {
  const changes: CommandChange[] = [];
  const before = new Map(existing.map((c) => [String(c.name), canonicalCommand(c)]));
  for (const command of desired) {
    const want = canonicalCommand(command as unknown as Loose);
    const have = before.get(command.name);
    before.delete(command.name);
    if (!have) {
      changes.push({ kind: 'added', name: command.name, fields: [] });
      continue;
    }
    const fields = Object.keys(want).filter((k) => JSON.stringify(want[k]) !== JSON.stringify(have[k]));
    if (fields.length > 0) changes.push({ kind: 'changed', name: command.name, fields });
  }
  for (const name of before.keys()) changes.push({ kind: 'removed', name, fields: [] });
  return changes;
}

export function describeChange(change: CommandChange): string {
  switch (change.kind) {
    case 'added':
      return `+ /${change.name} (new)`;
    case 'removed':
      return `- /${change.name} (no longer in commands/, removed)`;
    case 'changed':
      return `~ /${change.name} (${change.fields.join(', ')} changed)`;
  }
}
