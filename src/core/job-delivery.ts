/**
 * Download, settlement and delivery. The result is copied into DATA_DIR the
 * moment it exists (provider URLs expire); the team is charged only once the
 * file is ours; then the file is handed to the chat surface until it sticks
 * (surfaces make a repeated `finished` harmless). Retries are timer entries.
 */
import { describeProviderFailure, ProviderError, UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { DONE, NOW, wait, type LiveJob, type StepContext, type StepResult } from './job-context.js';
import { priceFor, soundFor } from './pricing.js';
import type { Micros } from './money.js';
import type { BackendCapabilities } from './capabilities.js';
import type { DeliveredVideo, DeliveryMark, JobRecord, Sound, SurfaceRef } from './types.js';
import { newDeliveryAttempt } from './ids.js';

const DOWNLOAD_ATTEMPTS = 4;

export async function downloadStep(ctx: StepContext, live: LiveJob, signal: AbortSignal): Promise<StepResult> {
  const job = await ctx.lifecycle.get(live.id);
  if (!job || job.state !== 'downloading') return DONE;
  const backend = ctx.backendOf(job.backend);
  live.attempt += 1;
  if (live.attempt === 1) await ctx.notifier.notify(job, { type: 'progress', phase: 'downloading', progress: 100, position: undefined });
  let failure: unknown;
  try {
    const stream = await backend.openResult(job.providerJobId!, signal);
    const saved = await ctx.deps.media.saveResult(job.id, stream, signal);
    if (live.cancelled) return DONE;
    const price = settlementPrice(backend.capabilities, job);
    // Settle only once the file is ours: a video we could not save is not charged to the team.
    await ctx.deps.ledger.settle({ tenant: job.tenant, jobId: job.id, month: job.ledgerMonth, backend: backend.id, priceMicros: price, officialMicros: job.officialMicros });
    if (saved.video) checkDelivered(ctx, job, saved.video);
    await ctx.lifecycle.transition(job.id, 'delivering', { resultPath: saved.path, resultBytes: saved.bytes, priceMicros: price, ...(saved.video && { resultVideo: saved.video }) });
    live.step = 'deliver';
    live.attempt = 0;
    return NOW;
  } catch (error) {
    if (signal.aborted || live.cancelled) throw error;
    failure = error;
  }
  const retryable = !(failure instanceof UserFacingError) && !(failure instanceof ProviderError && !failure.retryable && failure.kind !== 'expired');
  if (retryable && live.attempt < DOWNLOAD_ATTEMPTS) {
    ctx.log.warn({ err: failure, job: job.id, attempt: live.attempt }, 'download failed');
    return wait(2_000 * 2 ** (live.attempt - 1));
  }
  const message =
    failure instanceof UserFacingError
      ? failure.said
      : failure instanceof ProviderError
        ? describeProviderFailure(failure, backend.capabilities.displayName)
        : msg('failure.download', { backendName: backend.capabilities.displayName });
  if (!(failure instanceof ProviderError || failure instanceof UserFacingError)) ctx.log.error({ err: failure, job: job.id }, 'download failed');
  await ctx.fail(job.id, message, failure instanceof ProviderError ? failure.kind : 'download');
  return DONE;
}

/** The price of what the job asked for (a job from before sound was priced reads as the sound its backend makes). */
export function settlementPrice(capabilities: BackendCapabilities, job: JobRecord): Micros {
  const audio = soundFor(capabilities, job.input.resolution, job.audio, false) ?? job.audio;
  return priceFor(capabilities.price, job.seconds, job.input.resolution, audio);
}

/**
 * What was paid for against what arrived: a provider that sends another size, or sound where
 * silence was paid for (or the reverse), is worth an operator's look; the user still gets the video.
 */
function checkDelivered(ctx: StepContext, job: JobRecord, video: DeliveredVideo): void {
  const size = `${video.width}x${video.height}`;
  const sound: Sound = video.hasAudio ? 'on' : 'off';
  if (size !== job.size || (job.audio === 'on' && !video.hasAudio)) {
    ctx.log.warn({ job: job.id, backend: job.backend, paidFor: { size: job.size, audio: job.audio }, delivered: { size, audio: sound } }, 'the delivered video differs from what was paid for');
  }
}

export async function deliverStep(ctx: StepContext, live: LiveJob): Promise<StepResult> {
  const job = await ctx.lifecycle.get(live.id);
  if (!job || job.state !== 'delivering') return DONE;
  live.attempt += 1;
  try {
    // A replica that took the job over may not hold the video on its disk: with shared storage it fetches it first.
    await ctx.deps.media.bringLocal([job.resultPath]);
    const shown = await ctx.notifier.deliver(job, { type: 'finished', path: job.resultPath!, bytes: job.resultBytes ?? 0, ...deliveryAttempt(ctx, job) });
    if (shown) {
      const patch = shown.patch;
      const delivered = await ctx.lifecycle.transition(job.id, 'delivered', (j) => (patch ? { surface: { ...j.surface, ...patch } as SurfaceRef } : {}));
      ctx.log.info({ job: job.id, price: job.priceMicros }, 'job delivered');
      // Stored first: a crash before the board hears it leaves a delivered shot its board's resume counts.
      await ctx.notifier.delivered(delivered).catch((error: unknown) => ctx.log.warn({ err: error, job: job.id }, 'storyboard could not take a delivered shot; it will on the next start'));
      return DONE;
    }
    ctx.log.warn({ job: job.id, platform: job.surface.platform }, 'no chat surface for this job yet; will retry');
  } catch (error) {
    ctx.log.warn({ err: error, job: job.id, attempt: live.attempt }, 'delivery to the chat platform failed; will retry');
  }
  return wait(Math.min(5 * 60_000, 1_000 * 2 ** Math.min(live.attempt, 8)));
}

/**
 * The delivery's fencing mark. Chat platforms without an idempotency key (Slack's uploads) cannot
 * tell a repeat from a first post. The attempt about to post calls `beforePost`, which stores a mark
 * in a compare-and-set on the record, and only if the mark is still the one this attempt read: of
 * two replicas delivering the same job (one taken for dead that was only slow), one posts and the
 * other gives up. A later attempt that finds a mark gets `earlierAttemptAt` and looks for that post
 * first (a crash, or a kill, between posting and recording it); a first delivery costs no look and
 * one write. Shots are posted by their board.
 */
function deliveryAttempt(ctx: StepContext, job: JobRecord): { earlierAttemptAt?: number; beforePost?: () => Promise<void> } {
  if (job.board) return {};
  let known = job.deliveryMark;
  const beforePost = async (): Promise<void> => {
    const renewed: DeliveryMark = { at: ctx.deps.clock.now(), attempt: newDeliveryAttempt() };
    await ctx.lifecycle.amend(job.id, (stored) => {
      if (stored.deliveryMark?.attempt !== known?.attempt) throw new DeliveryTakenOver(job.id);
      return { deliveryMark: renewed };
    });
    known = renewed;
  };
  return { beforePost, ...(known && { earlierAttemptAt: known.at }) };
}

/** Another attempt set the delivery mark since this one read it: that one posts, this one must not. */
export class DeliveryTakenOver extends Error {
  constructor(readonly jobId: string) {
    super(`another attempt took over the delivery of job ${jobId}`);
  }
}
