/**
 * Turns a parsed, validated command (from any platform) into a Studio call and
 * a platform-neutral reply. It lives outside src/core because it reads the
 * command specs (commands/), which the core must not know. Adapters render replies their own way (embeds,
 * Block Kit, plain text) and supply what only they can: who the actor is,
 * where the job's messages live, and how to fetch an attached file.
 */
import type { ParsedCommand } from '../../commands/spec.js';
import type { Reply } from '../core/replies.js';
import { UserFacingError } from '../core/errors.js';
import { usdToMicros } from '../core/money.js';
import { elapsedProgress } from '../core/present.js';
import type { Studio } from '../core/studio.js';
import type { RoutingPolicy } from '../core/tenant-settings.js';
import type { Actor, Orientation, Quality, SurfaceRef } from '../core/types.js';

export type { Reply };

export interface CommandContext {
  actor: Actor;
  /** The surface reference a new job starts with (channel, requester, interaction token…). */
  surface: SurfaceRef;
  /** Fetches an attachment option's value (a platform file reference) to a local file. */
  resolveAttachment?: (value: string, kind: 'video' | 'image') => Promise<string>;
  /** Resolves a member typed as `@name` to a user id, on surfaces that know members by name (the console). */
  resolveMemberName?: (name: string) => string;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** A `--user` value: a platform id from a mention, or a typed `@name` the surface resolves. */
function member(ctx: CommandContext, value: unknown): string | undefined {
  const ref = text(value);
  if (!ref?.startsWith('@')) return ref;
  if (!ctx.resolveMemberName) {
    throw new UserFacingError('not_a_mention', `${ref} is not a member mention here. Type @ and pick the member from the list, so it becomes a mention.`);
  }
  return ctx.resolveMemberName(ref.slice(1));
}

async function attachment(ctx: CommandContext, value: unknown, kind: 'video' | 'image'): Promise<string | undefined> {
  const ref = text(value);
  if (!ref) return undefined;
  if (!ctx.resolveAttachment) throw new UserFacingError('no_attachments', 'Attachments are not supported here.');
  return ctx.resolveAttachment(ref, kind);
}

export async function handleCommand(studio: Studio, command: ParsedCommand, ctx: CommandContext): Promise<Reply> {
  const o = command.options;
  const { actor } = ctx;
  switch (`${command.command} ${command.subcommand ?? ''}`.trim()) {
    case 'sora generate': {
      const accepted = await studio.requestGenerationWithImage(
        actor,
        {
          prompt: text(o.prompt)!,
          seconds: num(o.seconds),
          orientation: (text(o.orientation) ?? 'landscape') as Orientation,
          quality: (text(o.quality) ?? 'standard') as Quality,
          backend: text(o.backend),
          imagePath: undefined,
          remixOf: undefined,
        },
        ctx.surface,
        await attachment(ctx, o.image, 'image'),
      );
      return { kind: 'accepted', accepted };
    }
    case 'sora remix':
      return { kind: 'accepted', accepted: await studio.remix(actor, text(o.job)!, text(o.prompt)!, ctx.surface) };
    case 'sora status': {
      const id = text(o.job);
      if (!id) return { kind: 'jobs', jobs: (await studio.recentJobs(actor)).slice(0, 10) };
      const job = await studio.job(actor, id);
      const elapsed = job.state === 'running' ? elapsedProgress(job, job.progress, studio.backend(job.backend)?.capabilities, studio.clock.now()) : undefined;
      return { kind: 'job', job, position: studio.queuePosition(job.id), ...(elapsed && { elapsed }) };
    }
    case 'sora cancel':
      return { kind: 'cancelled', job: await studio.cancel(actor, text(o.job)!) };
    case 'character create':
      return {
        kind: 'character',
        created: true,
        view: await studio.createCharacter(actor, {
          name: text(o.name)!,
          description: text(o.description),
          clipPath: await attachment(ctx, o.video, 'video'),
          url: text(o.video_url),
          fromJob: text(o.from_job),
        }),
      };
    case 'character list':
      return { kind: 'characters', characters: await studio.listCharacters(actor) };
    case 'character show':
      return { kind: 'character', created: false, view: await studio.showCharacter(actor, text(o.name)!) };
    case 'character delete':
      return { kind: 'character-deleted', character: await studio.deleteCharacter(actor, text(o.name)!) };
    case 'cost':
      return {
        kind: 'cost',
        report: await studio.costReport(actor, {
          period: (text(o.period) ?? 'this-month') as 'this-month' | 'last-month',
          userId: member(ctx, o.user),
        }),
      };
    case 'budget show':
      return { kind: 'budget', changed: false, view: await studio.budget(actor) };
    case 'budget set': {
      const amount = num(o.amount);
      return {
        kind: 'budget',
        changed: true,
        view: await studio.setBudget(actor, {
          amountMicros: amount === undefined ? undefined : usdToMicros(amount.toFixed(6)),
          userId: member(ctx, o.user),
          policy: text(o.policy) as RoutingPolicy | undefined,
        }),
      };
    }
    default:
      throw new UserFacingError('unknown_command', `The bot does not know /${command.command} ${command.subcommand ?? ''}.`.replace(' .', '.'));
  }
}
