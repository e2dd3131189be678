import type { Clock } from './clock.js';

/**
 * Skips a backend whose recent calls failed. After `threshold` consecutive
 * failures it opens for `cooldownMs`; then one call is let through (half-open)
 * and its outcome decides whether the backend is healthy again.
 */
export class CircuitBreaker {
  private readonly state = new Map<string, { failures: number; openedAt: number | undefined }>();

  constructor(
    private readonly clock: Clock,
    private readonly threshold = 3,
    private readonly cooldownMs = 60_000,
  ) {}

  isOpen(backend: string): boolean {
    const s = this.state.get(backend);
    if (!s || s.openedAt === undefined) return false;
    if (this.clock.now() - s.openedAt >= this.cooldownMs) {
      // Half-open: allow a trial call; a failure re-opens it at once.
      s.openedAt = undefined;
      s.failures = this.threshold - 1;
      return false;
    }
    return true;
  }

  recordSuccess(backend: string): void {
    this.state.delete(backend);
  }

  recordFailure(backend: string): void {
    const s = this.state.get(backend) ?? { failures: 0, openedAt: undefined };
    s.failures += 1;
    if (s.failures >= this.threshold) s.openedAt = this.clock.now();
    this.state.set(backend, s);
  }
}
