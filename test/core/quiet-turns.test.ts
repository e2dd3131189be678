/**
 * Work that can wait yields to arrivals (src/core/quiet-turns.ts): it starts on the first loop turn
 * in which nothing arrived, and a stream of arrivals that never pauses still lets it through.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuietTurns } from '../../src/core/quiet-turns.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('quiet turns', () => {
  it('waits while something arrives every turn, then resolves on the first turn without', async () => {
    const arrivals = new QuietTurns();
    let quiet = false;
    void arrivals.quiet().then(() => (quiet = true));
    for (let i = 0; i < 20; i++) {
      arrivals.arrived();
      await turn();
      assert.equal(quiet, false, `an arrival in turn ${i} keeps the work waiting`);
    }
    await turn();
    await turn();
    assert.equal(quiet, true, 'a turn with no arrival lets it start');
  });

  it('lets the work through after maxTurns of unbroken arrivals', async () => {
    const arrivals = new QuietTurns(5);
    let quiet = false;
    void arrivals.quiet().then(() => (quiet = true));
    for (let i = 0; i < 8 && !quiet; i++) {
      arrivals.arrived();
      await turn();
    }
    assert.equal(quiet, true);
  });

  it('one watch serves every waiter at once', async () => {
    const arrivals = new QuietTurns();
    assert.equal(arrivals.quiet(), arrivals.quiet());
    await arrivals.quiet();
  });
});
