/**
 * Every command the bot serves, and the one dispatcher: each platform's
 * validated command comes to `runCommand`, whoever parsed it (Discord's typed
 * options, the text syntax of Slack and the console). Who may run a
 * (sub)command is checked there once, from its spec's `permission`, so no
 * adapter and no use case repeats it.
 */
import { UserFacingError } from '../src/core/errors.js';
import { msg } from '../src/core/messages.js';
import type { Reply } from '../src/core/replies.js';
import * as audit from './audit.js';
import * as budget from './budget.js';
import * as character from './character.js';
import type { AnyRun, CommandContext, CommandModule } from './command-module.js';
import * as cost from './cost.js';
import * as settings from './settings.js';
import * as sora from './sora.js';
import type { CommandSpec, ParsedCommand } from './spec.js';

export type * from './spec.js';
export type { CommandContext, CommandModule } from './command-module.js';

/** Spec and behaviour of every command, in help order. */
export const COMMAND_MODULES: readonly CommandModule[] = [sora, character, cost, budget, settings, audit];

/** Every command's spec, in help order: what registration, the manifest, the parser and help read. */
export const COMMANDS: readonly CommandSpec[] = COMMAND_MODULES.map((m) => m.spec);

type Handler = (ctx: CommandContext, options: ParsedCommand['options']) => Promise<Reply>;

export async function runCommand(command: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const name = `/${command.command}${command.subcommand ? ` ${command.subcommand}` : ''}`;
  const module = COMMAND_MODULES.find((m) => m.spec.name === command.command);
  const sub = command.subcommand === undefined ? undefined : module?.spec.subcommands?.find((s) => s.name === command.subcommand);
  const run: AnyRun | undefined = !module ? undefined : typeof module.run === 'function' ? module.run : sub && module.run[sub.name];
  if (!module || !run) throw new UserFacingError(msg('unknown_command', { name }));
  if ((sub ?? module.spec).permission === 'admin' && !ctx.actor.isAdmin) {
    throw new UserFacingError(msg('admin_only', { name, ...(ctx.adminsAre !== undefined && { adminsAre: ctx.adminsAre }) }));
  }
  // Validation skips unset options but keeps text that cleaned down to nothing, which is no value either.
  const options = Object.fromEntries(Object.entries(command.options).filter(([, v]) => v !== undefined && v !== ''));
  return (run as Handler)(ctx, options);
}
