/**
 * Option validation derived from the command specs. Every adapter (Discord's
 * typed options, Slack's and the console's text) ends here, so one zod schema
 * per option guards the edge whatever the platform.
 */
import { z } from 'zod';
import { COMMANDS } from '../../commands/index.js';
import type { CommandSpec, OptionSpec, ParsedCommand, SubcommandSpec } from '../../commands/spec.js';

export class CommandInputError extends Error {
  /** A plain sentence for the user. */
  readonly userMessage: string;
  /** The usage line(s) of the command involved, when known. */
  readonly usage: string | undefined;

  constructor(userMessage: string, usage?: string) {
    super(userMessage);
    this.name = 'CommandInputError';
    this.userMessage = userMessage;
    this.usage = usage;
  }
}

// C0/C1 control characters and bidi overrides can hide text in chat clients and logs.
// Newlines and tabs stay: people paste multi-line prompts.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

export function cleanText(text: string): string {
  return text.replace(CONTROL_CHARACTERS, '').trim();
}

/**
 * Discord `<@123>`/`<@!123>`, Slack `<@U123|name>`, a bare id, or a typed
 * `@name`. A typed name keeps its `@`: only a surface that names its members by
 * name (the console) can resolve it; chat surfaces need a real mention.
 */
const USER_REFERENCE = /^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$|^([A-Za-z0-9]{2,32})$|^(@[A-Za-z0-9._-]{1,32})$/;

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name.toLowerCase());
}

export function findSubcommand(command: CommandSpec, name: string): SubcommandSpec | undefined {
  return command.subcommands?.find((s) => s.name === name.toLowerCase());
}

export function optionsOf(command: CommandSpec, sub: SubcommandSpec | undefined): readonly OptionSpec[] {
  return sub ? sub.options : (command.options ?? []);
}

/**
 * How the user typed options on a surface, so an error names an option the way
 * they see it: the text syntax (console, Slack) writes `--seconds` and leaves the
 * positional one unnamed ("the prompt"); Discord shows `seconds:` fields; a form
 * (a modal) shows labelled fields ("the prompt").
 */
export type OptionStyle = 'text' | 'discord' | 'form';

export function optionLabel(option: OptionSpec, style: OptionStyle = 'text'): string {
  if (style === 'discord') return `\`${option.name}:\``;
  if (style === 'form' || option.positional) return `the ${option.name.replace(/_/g, ' ')}`;
  return `--${option.name}`;
}

/** A sentence starts with a capital: "The prompt must …", "--seconds must …". */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

// Built once per option and style: zod schemas are costly to construct, and every command validates its options.
const schemas = new WeakMap<OptionSpec, Partial<Record<OptionStyle, z.ZodType<string | number | boolean>>>>();

/** The zod schema for one option's value, from its spec. Input may be text (console/Slack) or typed (Discord). */
export function optionSchema(option: OptionSpec, style: OptionStyle = 'text'): z.ZodType<string | number | boolean> {
  let byStyle = schemas.get(option);
  if (!byStyle) schemas.set(option, (byStyle = {}));
  return (byStyle[style] ??= buildOptionSchema(option, style));
}

function buildOptionSchema(option: OptionSpec, style: OptionStyle): z.ZodType<string | number | boolean> {
  const name = sentence(optionLabel(option, style));
  switch (option.type) {
    case 'integer':
    case 'number': {
      // Plain decimal notation only: Number() would also read `0x10` as 16, `1e1` as 10 and `0b11` as 3,
      // which no member means when typing an amount of dollars or seconds.
      let schema = z
        .union([z.number(), z.string().trim().regex(DECIMAL).transform(Number)], { error: `${name} must be a number.` })
        .refine(Number.isFinite, `${name} must be a number.`);
      if (option.type === 'integer') schema = schema.refine(Number.isInteger, `${name} must be a whole number.`);
      if (option.min !== undefined) schema = schema.refine((v) => v >= option.min!, `${name} must be at least ${option.min}.`);
      if (option.max !== undefined) schema = schema.refine((v) => v <= option.max!, `${name} must be at most ${option.max}.`);
      const decimals = option.decimals;
      if (decimals !== undefined) {
        // Checked on the text as typed (Discord sends a number, whose shortest form is what was typed).
        const tooPrecise = new RegExp(`\\.\\d{${decimals + 1}}|^\\s*[\\d.]+e-`, 'i');
        return z
          .union([z.string(), z.number()])
          .refine((v) => !tooPrecise.test(String(v)), `${name} can have at most ${decimals} decimals (whole cents), e.g. 5.50.`)
          .pipe(schema as z.ZodType<number, string | number>);
      }
      return schema;
    }
    case 'boolean':
      return z.union([z.boolean(), z.enum(['true', 'false', 'yes', 'no']).transform((v) => v === 'true' || v === 'yes')]);
    case 'user':
      return z
        .string()
        .transform((v) => v.trim())
        .refine((v) => USER_REFERENCE.test(v), `${name} must be a member mention like @alice.`)
        .transform((v) => {
          const m = USER_REFERENCE.exec(v)!;
          return (m[1] ?? m[2] ?? m[3])!;
        });
    case 'attachment':
      return z.string().min(1, `${name} needs a file.`).max(2000, `${name} is too long.`);
    case 'string': {
      let schema = z.string({ error: `${name} must be text.` }).transform(cleanText);
      const min = option.minLength;
      const max = option.maxLength;
      if (min !== undefined) schema = schema.refine((v) => v.length >= min, `${name} must be at least ${min} characters.`) as typeof schema;
      if (max !== undefined) schema = schema.refine((v) => v.length <= max, `${name} must be at most ${max} characters.`) as typeof schema;
      if (option.choices) {
        const allowed = option.choices.map((c) => String(c.value));
        return schema
          .transform((v) => v.toLowerCase())
          .refine((v) => allowed.includes(v), `${name} must be one of: ${allowed.join(', ')}.`);
      }
      return schema;
    }
  }
}

/**
 * Validates raw option values against a (sub)command's spec and returns the
 * typed command. Unknown options and missing required ones are errors.
 */
export function validateCommand(
  commandName: string,
  subcommandName: string | undefined,
  raw: Record<string, unknown>,
  style: OptionStyle = 'text',
): ParsedCommand {
  const command = findCommand(commandName);
  if (!command) throw new CommandInputError(`There is no /${commandName} command. Try /sora help.`);
  let sub: SubcommandSpec | undefined;
  if (command.subcommands) {
    sub = subcommandName ? findSubcommand(command, subcommandName) : undefined;
    if (!sub) {
      const names = command.subcommands.map((s) => s.name).join(', ');
      throw new CommandInputError(
        subcommandName ? `/${command.name} has no "${subcommandName}" subcommand. Use one of: ${names}.` : `/${command.name} needs a subcommand: ${names}.`,
        usageOf(command),
      );
    }
  }
  const specs = optionsOf(command, sub);
  // Rendered only for an error: every command is validated before its acknowledgement.
  const usage = () => usageOf(command, sub);
  const options: ParsedCommand['options'] = {};
  for (const key of Object.keys(raw)) {
    if (raw[key] === undefined) continue;
    if (!specs.some((o) => o.name === key)) throw new CommandInputError(`Unknown option ${style === 'discord' ? `\`${key}:\`` : `--${key}`}.`, usage());
  }
  for (const spec of specs) {
    const value = raw[spec.name];
    if (value === undefined || value === '') {
      if (spec.required) {
        throw new CommandInputError(
          spec.positional && style === 'text' ? `Missing ${spec.name}: ${spec.description.en.toLowerCase()}.` : `Missing ${optionLabel(spec, style)}.`,
          usage(),
        );
      }
      continue;
    }
    const parsed = optionSchema(spec, style).safeParse(value);
    if (!parsed.success) throw new CommandInputError(parsed.error.issues[0]?.message ?? `${sentence(optionLabel(spec, style))} is not valid.`, usage());
    options[spec.name] = parsed.data;
  }
  return { command: command.name, subcommand: sub?.name, options };
}

function optionUsage(option: OptionSpec): string {
  const value = option.choices ? option.choices.map((c) => c.value).join('|') : option.type === 'integer' || option.type === 'number' ? 'N' : option.type === 'user' ? '@user' : option.type === 'attachment' ? 'file' : (option.placeholder ?? option.name);
  if (option.positional) return option.required ? `<${option.name}>` : `[${option.name}]`;
  const flag = `--${option.name} ${value}`;
  return option.required ? flag : `[${flag}]`;
}

/** `/sora generate <prompt> [--seconds N] …`, one line per subcommand. */
export function usageOf(command: CommandSpec, sub?: SubcommandSpec): string {
  const subs = sub ? [sub] : command.subcommands;
  if (!subs) return [`/${command.name}`, ...(command.options ?? []).map(optionUsage)].join(' ');
  return subs.map((s) => [`/${command.name} ${s.name}`, ...s.options.map(optionUsage)].join(' ')).join('\n');
}

/** Help for one command (with option descriptions) or for all commands. */
export function renderHelp(commandName?: string, locale: 'en' | 'ko' = 'en'): string {
  const command = commandName ? findCommand(commandName) : undefined;
  if (!command) {
    return COMMANDS.map((c) => `${usageOf(c)}\n    ${c.description[locale]}`).join('\n');
  }
  const lines = [`/${command.name}: ${command.description[locale]}`];
  for (const sub of command.subcommands ?? [undefined]) {
    const specs = optionsOf(command, sub);
    lines.push('', usageOf(command, sub), sub ? `  ${sub.description[locale]}${sub.permission === 'admin' ? ' (admins only)' : ''}` : '');
    for (const o of specs) lines.push(`  ${o.positional ? o.name : `--${o.name}`}: ${o.description[locale]}`);
    for (const example of sub?.examples ?? command.examples) lines.push(`  e.g. ${example}`);
  }
  return lines.filter((l, i, all) => !(l === '' && all[i - 1] === '')).join('\n');
}
