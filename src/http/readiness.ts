/**
 * What /healthz answers: ready only when the bot has started and every check
 * passes. Probes are real round trips (a store read, a HEAD on the bucket),
 * each bounded so a hung dependency shows as not ready instead of a hung
 * health check; flags are answered from memory (a chat adapter's connection).
 */
import type { Readiness } from './server.js';

/** How long one readiness probe may take before it counts as failed. */
const READINESS_PROBE_MS = 2_000;

function withinMs(probe: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  // Real time on purpose: this bounds a network round trip for an outside health checker.
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([probe.catch(() => false), timeout]).finally(() => clearTimeout(timer));
}

export interface ReadinessChecks {
  started: () => boolean;
  /** By check name; more engines (a queue) add theirs here. */
  probes: Record<string, () => Promise<boolean>>;
  /** Checks known without a round trip, by name, asked on each call. */
  flags: () => Record<string, boolean>;
}

export function readinessOf(checks: ReadinessChecks): () => Promise<Readiness> {
  return async () => {
    const results: Record<string, boolean> = { started: checks.started() };
    const probed = await Promise.all(Object.entries(checks.probes).map(async ([name, probe]) => [name, await withinMs(probe(), READINESS_PROBE_MS)] as const));
    for (const [name, ok] of probed) results[name] = ok;
    Object.assign(results, checks.flags());
    return { ready: checks.started() && Object.values(results).every(Boolean), checks: results };
  };
}
