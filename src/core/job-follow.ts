/**
 * The poll step: one look at a submitted job (or the status a webhook brought),
 * then the time of the next look. Between looks the job is only an entry in
 * the runner's timer queue; nothing of it is suspended.
 */
import { describeProviderFailure, ProviderError } from './errors.js';
import { msg } from './messages.js';
import { DONE, NOW, wait, type LiveJob, type StepContext, type StepResult } from './job-context.js';
import { nextPollDelayMs, POLL_FIRST_MS } from './polling.js';
import type { Backend, ProviderStatus } from './ports.js';

const MAX_CONSECUTIVE_POLL_ERRORS = 30;
/** Progress is persisted at most this often; every state change is persisted at once. */
const PROGRESS_PERSIST_MS = 15_000;

/** A poll delay at the providers' pace (JobRunnerDeps.providerPace). */
const paced = (ctx: StepContext, ms: number): number => Math.round(ms * (ctx.deps.providerPace ?? 1));

function usesWebhook(ctx: StepContext, backend: Backend): boolean {
  return backend.capabilities.completion === 'webhook' && ctx.deps.publicUrl !== undefined;
}

/** How long a job just submitted (or resumed) waits before its first look. */
export function firstPollDelay(ctx: StepContext, live: LiveJob): number {
  // A resumed job is caught up at once; a fresh one gives the provider a moment, counted from
  // its submission, so a job resumed after a restart does not wait that moment a second time.
  if (live.running || live.polls > 0) return 0;
  const backend = ctx.deps.backends.get(live.backend);
  if (backend && usesWebhook(ctx, backend)) return paced(ctx, nextPollDelayMs({ elapsedMs: 0, progress: undefined, previousProgress: undefined, previousDelayMs: undefined, webhook: true }));
  return Math.max(0, paced(ctx, POLL_FIRST_MS) - (ctx.deps.clock.now() - live.since));
}

export async function pollStep(ctx: StepContext, live: LiveJob, signal: AbortSignal): Promise<StepResult> {
  const clock = ctx.deps.clock;
  const backend = ctx.backendOf(live.backend);
  let status = live.pendingStatus;
  live.pendingStatus = undefined;
  if (!status) {
    if (clock.now() >= live.deadlineAt) {
      backend.cancel?.(live.providerJobId!).catch(() => {});
      const job = await ctx.lifecycle.get(live.id);
      const minutes = job ? Math.round((job.deadlineAt - job.createdAt) / 60_000) : 0;
      await ctx.fail(live.id, msg('failure.deadline', { backendName: backend.capabilities.displayName, minutes }), 'deadline');
      return DONE;
    }
    try {
      live.polls += 1;
      status = await backend.status(live.providerJobId!, signal);
      live.errors = 0;
    } catch (error) {
      if (signal.aborted || !(error instanceof ProviderError)) throw error;
      live.errors += 1;
      ctx.log.warn({ err: error, job: live.id, kind: error.kind, requestId: error.requestId }, 'status check failed');
      if (error.kind === 'not_found' || error.kind === 'auth' || live.errors >= MAX_CONSECUTIVE_POLL_ERRORS) {
        await ctx.fail(live.id, describeProviderFailure(error, backend.capabilities.displayName), error.kind);
        return DONE;
      }
      return untilDeadline(live, clock.now(), Math.max(error.retryAfterMs ?? 0, Math.min(60_000, 2_000 * 2 ** Math.min(live.errors, 5))));
    }
  }
  return handleStatus(ctx, live, backend, status);
}

async function handleStatus(ctx: StepContext, live: LiveJob, backend: Backend, status: ProviderStatus): Promise<StepResult> {
  const clock = ctx.deps.clock;
  switch (status.state) {
    case 'queued':
    case 'running': {
      const progress = Math.max(0, Math.min(99, Math.round(status.progress ?? 0)));
      const starts = !live.running && status.state === 'running';
      const persist = starts || clock.now() - live.lastPersistedAt >= PROGRESS_PERSIST_MS;
      live.progress = progress;
      const patch = { progress, polls: live.polls };
      const job = starts ? await ctx.lifecycle.transition(live.id, 'running', patch) : persist ? await ctx.lifecycle.amend(live.id, patch) : undefined;
      if (starts) live.running = true;
      if (persist) live.lastPersistedAt = clock.now();
      const phase = status.state === 'queued' ? 'provider-queue' : 'generating';
      // The record is read for the surface only when the platform would take the update.
      if (ctx.notifier.progressDue(live.id, live.platform, phase)) {
        const shown = job ?? (await ctx.lifecycle.get(live.id));
        if (shown) await ctx.notifier.notify({ ...shown, progress }, { type: 'progress', phase, progress, position: status.queuePosition }, { paced: true });
      }
      const elapsedMs = clock.now() - live.since;
      // The schedule runs on the provider's own time (elapsed / pace), then back to ours.
      const pace = ctx.deps.providerPace ?? 1;
      const previousDelayMs = live.delay === undefined ? undefined : live.delay / pace;
      live.delay = paced(ctx, nextPollDelayMs({ elapsedMs: elapsedMs / pace, progress: status.state === 'running' ? status.progress : undefined, previousProgress: live.previousProgress, previousDelayMs, webhook: usesWebhook(ctx, backend) }));
      live.previousProgress = status.progress;
      return untilDeadline(live, clock.now(), live.delay);
    }
    case 'completed':
      await ctx.lifecycle.transition(live.id, 'downloading', (j) => ({ progress: 100, polls: live.polls, completedAt: clock.now(), seconds: status.seconds ?? j.seconds }));
      live.step = 'download';
      return NOW;
    case 'failed': {
      const error = status.error ?? new ProviderError({ kind: 'transient', backend: backend.id, message: 'provider reported failure without a reason' });
      ctx.log.warn({ err: error, job: live.id, kind: error.kind, code: error.providerCode }, 'provider failed the job');
      await ctx.fail(live.id, describeProviderFailure(error, backend.capabilities.displayName), error.kind, error.kind === 'moderation' && backend.capabilities.chargesForModeratedJobs);
      return DONE;
    }
    case 'cancelled':
      await ctx.fail(live.id, msg('failure.provider_cancelled', { backendName: backend.capabilities.displayName }), 'provider_cancelled');
      return DONE;
  }
}

/** Waits `ms`, but never past the deadline (the look at the deadline ends the job). */
function untilDeadline(live: LiveJob, now: number, ms: number): StepResult {
  return wait(Math.max(0, Math.min(ms, live.deadlineAt - now)));
}
