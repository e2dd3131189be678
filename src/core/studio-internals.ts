/**
 * The Studio's parts, for tests and benches that must look inside: a job's
 * stored record, the ledger's totals, the runner's count of jobs in flight,
 * accepting a job without starting it. Chat adapters, the console and the app
 * use the facade only (studio.ts); test/architecture.test.ts keeps this module
 * out of their reach.
 */
import type { CharacterRegistry } from './characters.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { JobRunner } from './job-runner.js';
import type { JobRepository, Ledger } from './ports.js';
import type { Scheduler } from './scheduler.js';
import type { Accepted } from './studio.js';
import type { TenantSettingsRepository } from './tenant-settings.js';
import type { Actor, GenerationInput, SurfaceRef } from './types.js';

export interface StudioInternals {
  jobs: JobRepository;
  characters: CharacterRegistry;
  settings: TenantSettingsRepository;
  ledger: Ledger;
  scheduler: Scheduler;
  breaker: CircuitBreaker;
  runner: JobRunner;
  /** The first half of `launch`: validates, routes, prices, reserves and persists the job, and does not start it. */
  accept(actor: Actor, input: GenerationInput, surface: SurfaceRef, imageSource?: string): Promise<Accepted>;
}

const registry = new WeakMap<object, StudioInternals>();

/** Called by the Studio's constructor only. */
export function keepInternals(studio: object, internals: StudioInternals): void {
  registry.set(studio, internals);
}

export function internalsOf(studio: object): StudioInternals {
  const internals = registry.get(studio);
  if (!internals) throw new Error('not a Studio');
  return internals;
}
