/**
 * A command is one module: its spec (data, from which every platform's syntax
 * is derived) and its behaviour (`run`, one handler per subcommand) side by
 * side. Handlers receive the options already validated against the spec and
 * typed from it, call the Studio's use cases and return a Reply; each adapter
 * renders the Reply its own way.
 */
import { UserFacingError } from '../src/core/errors.js';
import { msg } from '../src/core/messages.js';
import type { Reply } from '../src/core/replies.js';
import type { OpenSurface, Studio } from '../src/core/studio.js';
import type { Actor, SurfaceRef } from '../src/core/types.js';
import type { CommandSpec, OptionSpec, OptionValues, SubcommandSpec } from './spec.js';

export interface CommandContext {
  studio: Studio;
  actor: Actor;
  /** The surface reference a new job starts with (channel, requester, interaction token…). */
  surface: SurfaceRef;
  /**
   * Shows a job a command launches where it will live (a thread; a console line) before it runs
   * (Studio.launch). Only commands that spend money call it; a surface that launches nothing may omit it.
   */
  openSurface?: OpenSurface;
  /** Fetches an attachment option's value (a platform file reference) to a local file. */
  resolveAttachment?: (value: string, kind: 'video' | 'image') => Promise<string>;
  /** Resolves a member typed as `@name` to a user id, on surfaces that know members by name (the console). */
  resolveMemberName?: (name: string) => string;
  /** Who counts as an admin, as the platform calls them ("members with the Manage Server permission"). */
  adminsAre?: string;
}

/** One (sub)command's behaviour, with its options typed from the spec. */
export type Run<Options extends readonly OptionSpec[]> = (ctx: CommandContext, options: OptionValues<Options>) => Promise<Reply>;

/** `run` of a command: a handler per subcommand, or one handler for a bare command (`/cost`). */
export type Runs<S extends CommandSpec> = S extends { subcommands: readonly (infer Sub extends SubcommandSpec)[] }
  ? { [K in Sub as K['name']]: Run<K['options']> }
  : Run<S extends { options: infer O extends readonly OptionSpec[] } ? O : readonly []>;

/** Any command's handler, as the dispatcher holds it (it passes options validated against that same spec). */
export type AnyRun = (ctx: CommandContext, options: never) => Promise<Reply>;

export interface CommandModule {
  spec: CommandSpec;
  run: AnyRun | Readonly<Record<string, AnyRun>>;
}

/** A `--user` value: a platform id from a mention, or a typed `@name` the surface resolves. */
export function memberId(ctx: CommandContext, ref: string | undefined): string | undefined {
  if (!ref?.startsWith('@')) return ref;
  if (!ctx.resolveMemberName) {
    throw new UserFacingError(msg('not_a_mention', { ref }));
  }
  return ctx.resolveMemberName(ref.slice(1));
}

/** How this surface shows a launched job; a surface without one cannot take jobs. */
export function surfaceOpener(ctx: CommandContext): OpenSurface {
  if (!ctx.openSurface) throw new Error('this surface launches no jobs (no openSurface in the command context)');
  return ctx.openSurface;
}

/** An attachment option's local file, fetched by the surface that received it. */
export async function attachedFile(ctx: CommandContext, ref: string | undefined, kind: 'video' | 'image'): Promise<string | undefined> {
  if (!ref) return undefined;
  if (!ctx.resolveAttachment) throw new UserFacingError(msg('no_attachments'));
  return ctx.resolveAttachment(ref, kind);
}
