/**
 * Fallback: a backend that failed in a way another backend might not (an
 * outage, a transient error) hands the job to the next candidate the router
 * chose. The reservation is re-priced first, against the same caps, so a move
 * to a pricier backend can never overrun the budget; then the job goes back in
 * line for the new backend's slot.
 */
import { describeProviderFailure, type ProviderError } from './errors.js';
import { msg } from './messages.js';
import { DONE, type StepContext, type StepResult } from './job-context.js';
import { estimateFor, fitSeconds, soundFor } from './pricing.js';
import type { JobRecord } from './types.js';

export async function fallBack(ctx: StepContext, job: JobRecord, error: ProviderError): Promise<StepResult> {
  const failed = ctx.backendOf(job.backend);
  const nextId = job.fallbacks[0]!;
  const next = ctx.deps.backends.get(nextId);
  if (!next) {
    await ctx.fail(job.id, describeProviderFailure(error, failed.capabilities.displayName), error.kind);
    return DONE;
  }
  const seconds = fitSeconds(job.input.seconds, next.capabilities.seconds);
  // The router listed only backends that can honour the sound asked for; the team's default is kept where it can be.
  const audio = soundFor(next.capabilities, job.input.resolution, job.input.audio ?? job.audio, job.input.audio !== undefined) ?? job.audio;
  const estimate = estimateFor(next.capabilities, seconds, job.input.resolution, audio);
  const caps = await ctx.deps.capsFor(job.tenant, job.requesterId);
  const adjusted = await ctx.deps.ledger.adjust({
    tenant: job.tenant,
    userId: job.requesterId,
    userName: job.requesterName,
    jobId: job.id,
    month: job.ledgerMonth,
    micros: estimate,
    caps,
  });
  if (!adjusted.ok) {
    await ctx.fail(
      job.id,
      msg('failure.fallback_over_budget', { failedName: failed.capabilities.displayName, nextName: next.capabilities.displayName }),
      'fallback_over_budget',
    );
    return DONE;
  }
  const moved = await ctx.lifecycle.transition(job.id, 'queued', (j) => ({
    triedBackends: [...j.triedBackends, j.backend],
    backend: next.id,
    fallbacks: j.fallbacks.slice(1),
    seconds,
    size: next.capabilities.sizes[j.input.orientation][j.input.resolution] ?? j.size,
    audio,
    estimateMicros: estimate,
    officialMicros: ctx.deps.referencePrice(seconds, j.input.resolution, audio),
    routeReason: { kind: 'fallback', backendName: next.capabilities.displayName, failedName: failed.capabilities.displayName, failure: error.kind },
  }));
  ctx.log.info({ job: job.id, from: failed.id, to: next.id }, 'falling back to the next backend');
  await ctx.notifier.notify(moved, { type: 'progress', phase: 'retrying', progress: 0, position: undefined });
  return { next: 'requeued', tenant: moved.tenant, backend: moved.backend };
}
