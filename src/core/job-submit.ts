/**
 * The submit step: bind the job's characters to its backend, render the
 * prompt, and hand the job to the provider. The job is `submitting` (with its
 * idempotency key already stored) before the provider is called, and
 * `submitted` with the provider's id before anything polls it. A provider that
 * forgot a character is healed once here; a failing backend falls back.
 */
import { describeProviderFailure, ProviderError, UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { isBindingMissing } from './job-binding.js';
import { DONE, wait, type LiveJob, type StepContext, type StepResult } from './job-context.js';
import { fallBack } from './job-fallback.js';
import { firstPollDelay } from './job-follow.js';
import { JobClosed } from './job-lifecycle.js';
import { renderPromptForBackend } from './mentions.js';
import type { Backend, BoundCharacter } from './ports.js';
import type { Character, JobRecord } from './types.js';

export async function submitStep(ctx: StepContext, live: LiveJob, signal: AbortSignal): Promise<StepResult> {
  let job = await ctx.lifecycle.get(live.id);
  if (!job) return DONE;
  let backend: Backend | undefined;
  try {
    backend = ctx.backendOf(job.backend);
    job = job.state === 'queued' ? await ctx.lifecycle.transition(job.id, 'submitting') : job;
    await ctx.notifier.notify(job, { type: 'progress', phase: 'sending', progress: 0, position: undefined });
    const characters = await ctx.binder.charactersOf(job);
    let bound = await ctx.binder.bind(job, backend, characters, signal);
    let sent: Sent;
    try {
      sent = await send(ctx, job, backend, characters, bound, signal);
    } catch (error) {
      if (!isBindingMissing(error) || characters.length === 0 || signal.aborted) throw error;
      // The provider forgot a character (it restarted, or someone deleted it there): recreate
      // the binding once and send again. The reservation stays as it is; settlement happens once.
      ctx.log.warn({ err: error, job: job.id, backend: backend.id }, 'provider no longer knows a character; healing the binding');
      bound = await ctx.binder.heal(job, backend, characters, bound, signal);
      try {
        sent = await send(ctx, job, backend, characters, bound, signal);
      } catch (again) {
        if (!isBindingMissing(again)) throw again;
        throw new UserFacingError(msg('binding.still_lost', { backendName: backend.capabilities.displayName, names: characters.map((c) => c.name) }), { code: 'binding_lost' });
      }
    }
    ctx.deps.breaker.recordSuccess(backend.id);
    const { providerJobId, prompt } = sent;
    try {
      job = await ctx.lifecycle.transition(job.id, 'submitted', { providerJobId, renderedPrompt: prompt, submittedAt: ctx.deps.clock.now() });
    } catch (error) {
      // Cancelled while the provider was accepting it: don't leave it running there.
      if (error instanceof JobClosed) backend.cancel?.(providerJobId).catch(() => {});
      throw error;
    }
    ctx.log.info({ job: job.id, backend: backend.id, providerJobId }, 'job submitted');
    live.follow(job);
    live.step = 'poll';
    ctx.watch(live, backend.id, providerJobId);
    return wait(firstPollDelay(ctx, live));
  } catch (error) {
    if (error instanceof JobClosed || live.cancelled) throw error;
    if (error instanceof ProviderError && backend) {
      ctx.log.warn({ err: error, job: job.id, backend: backend.id, kind: error.kind, requestId: error.requestId }, 'submit failed');
      if (error.fallbackWorthy) ctx.deps.breaker.recordFailure(backend.id);
      const current = (await ctx.lifecycle.get(job.id)) ?? job;
      if (error.fallbackWorthy && current.fallbacks.length > 0) return fallBack(ctx, current, error);
      await ctx.fail(job.id, describeProviderFailure(error, backend.capabilities.displayName), error.kind, error.kind === 'moderation' && backend.capabilities.chargesForModeratedJobs);
      return DONE;
    }
    if (error instanceof UserFacingError) {
      ctx.log.warn({ err: error, job: job.id }, 'job refused before submission');
      await ctx.fail(job.id, error.said, error.code);
      return DONE;
    }
    throw error;
  }
}

interface Sent {
  providerJobId: string;
  /** The prompt as this backend read it (character tags rendered), kept on the record. */
  prompt: string;
}

/** Renders the prompt for the backend and calls the provider. */
async function send(ctx: StepContext, job: JobRecord, backend: Backend, characters: Character[], bound: BoundCharacter[], signal: AbortSignal): Promise<Sent> {
  const prompt = renderPromptForBackend(
    job.input.prompt,
    characters,
    backend.capabilities.characters.mention,
    new Map(bound.map((b, i) => [characters[i]!.key, b.binding])),
  );
  let remixOfProviderJobId: string | undefined;
  if (job.input.remixOf) {
    const original = await ctx.deps.jobs.get(job.input.remixOf);
    if (original?.backend === backend.id && backend.capabilities.remix) remixOfProviderJobId = original.providerJobId;
  }
  // Backends read these from disk; with shared media another replica may have made them.
  const frames = bound.flatMap((b) => (b.binding.kind === 'reference-images' ? [b.binding.frontal, ...b.binding.references] : []));
  await ctx.deps.media.bringLocal([job.input.imagePath, ...frames]);
  const { providerJobId } = await backend.submit(
    {
      jobId: job.id,
      // One key per (job, backend): a resubmission after a crash reuses it; a fallback does not collide.
      // A healed resend reuses it too: the provider stores a key only with a job it created.
      idempotencyKey: `${job.submissionKey}-${backend.id}`,
      prompt,
      seconds: job.seconds,
      size: job.size,
      orientation: job.input.orientation,
      resolution: job.input.resolution,
      audio: job.audio,
      characters: bound,
      imagePath: job.input.imagePath,
      remixOfProviderJobId,
      // A provider's rejection naming one of these is the user's to fix; any other is the bot's.
      userChose: [...(job.input.seconds !== undefined ? (['seconds'] as const) : []), ...(job.input.audio !== undefined ? (['audio'] as const) : [])],
      webhookUrl: backend.capabilities.completion === 'webhook' && ctx.deps.publicUrl ? `${ctx.deps.publicUrl}/webhooks/${backend.id}` : undefined,
    },
    signal,
  );
  return { providerJobId, prompt };
}
