/**
 * One provider simulator per test file, on a manual clock, with the backends the
 * file makes closed after it: the setup every backend unit test shares. Call it
 * at module level; it registers its own `before` and `after` hooks.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { ProviderError } from '../../src/core/errors.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/server.js';

export interface SimulatorFixture {
  readonly clock: ManualClock;
  readonly sim: Simulator;
  /** Registers a backend (anything with `close`) to be closed after the file's tests. */
  track<T extends { close(): Promise<void> }>(backend: T): T;
}

export function simulatorFixture(options: Omit<SimulatorOptions, 'clock'>): SimulatorFixture {
  let clock: ManualClock | undefined;
  let sim: Simulator | undefined;
  const made: Array<{ close(): Promise<void> }> = [];
  before(async () => {
    clock = new ManualClock();
    sim = await startSimulator({ clock, ...options });
  });
  after(async () => {
    await Promise.all(made.map((b) => b.close()));
    await sim?.stop();
  });
  return {
    get clock() {
      assert.ok(clock, 'the simulator fixture is used before its before-hook ran');
      return clock;
    },
    get sim() {
      assert.ok(sim, 'the simulator fixture is used before its before-hook ran');
      return sim;
    },
    track(backend) {
      made.push(backend);
      return backend;
    },
  };
}

/** The ProviderError a call rejects with; fails the test if it resolves (closing any download it opened). */
export async function providerRejection(promise: Promise<unknown>): Promise<ProviderError> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    assert.ok(error instanceof ProviderError, `expected ProviderError, got ${String(error)}`);
    return error;
  }
  // An unexpected download must not stay open: it would hold the connection pool on close.
  (value as { body?: { destroy?: () => void } } | undefined)?.body?.destroy?.();
  assert.fail('expected a rejection');
}
