/**
 * When to ask a provider again. A fixed loop either wastes requests (1 s) or
 * adds seconds of lag (5 s). Instead, extrapolate the finish time from the
 * provider's progress and sleep a fraction of the time left, so polls thin out
 * mid-render and tighten near the end. Stalled progress backs off.
 */

export interface PollObservation {
  /** ms since the provider accepted the job. */
  elapsedMs: number;
  progress: number | undefined;
  /** Progress at the previous poll; equal means no movement. */
  previousProgress: number | undefined;
  previousDelayMs: number | undefined;
  /** Completion comes by webhook; polling is only a safety net. */
  webhook: boolean;
}

export const POLL_MIN_MS = 1_500;
export const POLL_MAX_MS = 30_000;
export const POLL_FIRST_MS = 5_000;
/** With webhooks, a slow poll still finds a job whose webhook was lost. */
export const WEBHOOK_SAFETY_POLL_MS = 5 * 60_000;
/** Fraction of the extrapolated time left to sleep: <1 so the estimate is refined before the end. */
const FRACTION_OF_REMAINING = 0.7;

export function nextPollDelayMs(o: PollObservation): number {
  if (o.webhook) return WEBHOOK_SAFETY_POLL_MS;
  const { progress, elapsedMs } = o;
  if (progress === undefined || progress <= 0 || progress >= 100) {
    // No usable progress: start at 5 s and stretch gently up to the cap.
    return clamp((o.previousDelayMs ?? POLL_FIRST_MS / 1.5) * 1.5, POLL_FIRST_MS, POLL_MAX_MS);
  }
  if (o.previousProgress !== undefined && progress <= o.previousProgress) {
    // Stalled (e.g. the well-known stop at 99%): back off rather than hammer.
    return clamp((o.previousDelayMs ?? POLL_MIN_MS) * 2, POLL_MIN_MS, POLL_MAX_MS);
  }
  const estimatedTotal = (elapsedMs * 100) / progress;
  const remaining = estimatedTotal - elapsedMs;
  return clamp(remaining * FRACTION_OF_REMAINING, POLL_MIN_MS, POLL_MAX_MS * 4);
}

function clamp(value: number, min: number, max: number): number {
  return Math.round(Math.min(max, Math.max(min, value)));
}
