/**
 * The text syntax shared by the console and Slack:
 *   /sora generate @mascot waves at the camera --seconds 8 --orientation portrait
 * Words that are not `--flags` fill the subcommand's positional option.
 */
import type { ParsedCommand } from '../../commands/spec.js';
import { CommandInputError, findCommand, findSubcommand, optionLabel, optionsOf, renderHelp, usageOf, validateCommand } from './options.js';

export type TextCommand = { kind: 'command'; command: ParsedCommand } | { kind: 'help'; text: string };

interface Token {
  text: string;
  quoted: boolean;
}

// Chat clients (Slack, macOS) turn straight quotes into curly ones; accept both.
const OPENING_QUOTES: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’' };

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    while (i < input.length && /\s/.test(input[i]!)) i++;
    if (i >= input.length) break;
    const open = input[i]!;
    const close = OPENING_QUOTES[open];
    if (close) {
      const end = input.indexOf(close, i + 1);
      if (end !== -1) {
        tokens.push({ text: input.slice(i + 1, end), quoted: true });
        i = end + 1;
        continue;
      }
    }
    let j = i;
    while (j < input.length && !/\s/.test(input[j]!)) j++;
    tokens.push({ text: input.slice(i, j), quoted: false });
    i = j;
  }
  return tokens;
}

/**
 * Parses one line. `commandName` is given when the platform already split it
 * off (Slack sends `/sora` separately from its text).
 */
export function parseTextCommand(line: string, commandName?: string): TextCommand {
  const tokens = tokenize(line);
  let name = commandName;
  if (!name) {
    const first = tokens.shift();
    if (!first) return { kind: 'help', text: renderHelp() };
    name = first.text.replace(/^\//, '');
  }
  name = name.replace(/^\//, '');
  if (name === 'help') return { kind: 'help', text: renderHelp(tokens[0]?.text.replace(/^\//, '')) };
  const command = findCommand(name);
  if (!command) throw new CommandInputError(`There is no /${name} command.`, renderHelp());

  let subName: string | undefined;
  if (command.subcommands) {
    const next = tokens.shift();
    if (!next || next.text === 'help' || next.text === '--help') return { kind: 'help', text: renderHelp(command.name) };
    subName = next.text;
    if (!findSubcommand(command, subName)) {
      throw new CommandInputError(`/${command.name} has no "${subName}" subcommand.`, usageOf(command));
    }
  }
  const sub = subName ? findSubcommand(command, subName) : undefined;
  const specs = optionsOf(command, sub);
  // Rendered only for an error: most lines parse, and the usage text is about a quarter of a parse's time.
  const usage = () => usageOf(command, sub);
  const positional = specs.find((o) => o.positional);
  const raw: Record<string, unknown> = {};
  const words: string[] = [];
  // Segments (a storyboard's shots): flags before the last separator belong to their segment's words.
  const separator = positional?.segmentSeparator;
  const lastSeparator = separator === undefined ? -1 : tokens.findLastIndex((t) => !t.quoted && t.text.includes(separator));

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const flag = isFlag(token) && i > lastSeparator ? token.text.slice(2) : undefined;
    if (flag === undefined) {
      if (token.text === '--help' && !token.quoted) return { kind: 'help', text: renderHelp(command.name) };
      words.push(token.quoted && /\s/.test(token.text) ? token.text : token.text);
      continue;
    }
    const eq = flag.indexOf('=');
    const key = (eq === -1 ? flag : flag.slice(0, eq)).toLowerCase();
    const spec = specs.find((o) => o.name === key);
    if (!spec) throw new CommandInputError(`Unknown option --${key}.`, usage());
    if (raw[key] !== undefined) throw new CommandInputError(`--${key} is given twice.`, usage());
    if (eq !== -1) {
      raw[key] = flag.slice(eq + 1);
    } else if (spec.type === 'boolean' && (tokens[i + 1] === undefined || tokens[i + 1]!.text.startsWith('--'))) {
      raw[key] = 'true';
    } else {
      const value = tokens[++i];
      if (value === undefined) throw new CommandInputError(`--${key} needs a value.`, usage());
      if (spec.freeText) {
        // Free text runs to the next --flag, unquoted, as the positional option's words do.
        const parts = [value.text];
        while (tokens[i + 1] && !isFlag(tokens[i + 1]!)) parts.push(tokens[++i]!.text);
        raw[key] = parts.join(' ');
      } else {
        raw[key] = value.text;
      }
    }
  }
  if (words.length > 0) {
    if (!positional) throw new CommandInputError(`Unexpected text "${truncate(words.join(' '), 40)}". Put values after --option names.`, usage());
    if (raw[positional.name] !== undefined) throw new CommandInputError(`${optionLabel(positional)} is given both as words and as --${positional.name}.`.replace(/^./, (c) => c.toUpperCase()), usage());
    raw[positional.name] = words.join(' ');
  }
  return { kind: 'command', command: validateCommand(command.name, subName, raw) };
}

function isFlag(token: Token): boolean {
  return !token.quoted && /^--[a-z_][a-z_-]*(=.*)?$/i.test(token.text);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
