/**
 * Command specs are data. Discord's registration payload, the Slack manifest,
 * the text parser (console and Slack) and the help text are all derived from
 * these, so the platforms can never disagree about what a command accepts.
 */

/** English is required; Korean ships with every string. */
export interface Localized {
  en: string;
  ko: string;
}

export type OptionType = 'string' | 'integer' | 'number' | 'user' | 'attachment' | 'boolean';

export interface OptionChoice {
  value: string | number;
  label: Localized;
}

export interface OptionSpec {
  name: string;
  type: OptionType;
  description: Localized;
  required?: boolean;
  /**
   * In the text syntax this option takes the free words that are not `--flags`
   * (`/sora generate @mascot waves` → prompt = "@mascot waves"). At most one per command.
   */
  positional?: boolean;
  /**
   * The positional words are segments separated by this character (a storyboard's shots). In the
   * text syntax, `--flags` before the last separator stay in their segment (a shot's own `--seconds`);
   * flags after it are the command's, for every segment.
   */
  segmentSeparator?: string;
  minLength?: number;
  maxLength?: number;
  min?: number;
  max?: number;
  /** A number option takes at most this many decimals (money: 2, whole cents). */
  decimals?: number;
  /**
   * In the text syntax a `--flag` of this option takes every word up to the next
   * `--flag`, without quotes, as the positional option does (`--prompt make it blue`).
   */
  freeText?: boolean;
  choices?: readonly OptionChoice[];
  /** Where autocomplete suggestions come from. */
  autocomplete?: 'character' | 'character-mention' | 'job' | 'backend';
  /** How the value is written in usage lines (`--backend id|provider`); defaults to the option name. */
  placeholder?: string;
}

export type Permission = 'member' | 'admin';

/** The head of a command that changes the team's rules or reads its records: admins only, and it spends nothing. */
export const ADMIN_ONLY = { permission: 'admin', spendsMoney: false } as const;

export interface SubcommandSpec {
  name: string;
  description: Localized;
  options: readonly OptionSpec[];
  permission: Permission;
  /** Reserves budget and calls a paid provider. */
  spendsMoney: boolean;
  examples: readonly string[];
}

export interface CommandSpec {
  name: string;
  description: Localized;
  /** A command either has subcommands or is bare with options (`/cost`). */
  subcommands?: readonly SubcommandSpec[];
  options?: readonly OptionSpec[];
  permission: Permission;
  spendsMoney: boolean;
  examples: readonly string[];
}

/** What the validation (src/command-line/options.ts) makes of any platform's input: one (sub)command and its option values. */
export interface ParsedCommand {
  command: string;
  subcommand: string | undefined;
  options: Record<string, string | number | boolean | undefined>;
}

/** The value an option's validation yields: a number, a yes/no, one of its choices, or text (ids, mentions, file refs). */
type ValueOf<O extends OptionSpec> = O['type'] extends 'integer' | 'number'
  ? number
  : O['type'] extends 'boolean'
    ? boolean
    : O extends { choices: readonly { value: infer V }[] }
      ? V
      : string;

/** A (sub)command's option values typed from its spec (declared `as const`): required ones are always there. */
export type OptionValues<Options extends readonly OptionSpec[]> = {
  [O in Options[number] as O['name']]: O extends { required: true } ? ValueOf<O> : ValueOf<O> | undefined;
};
