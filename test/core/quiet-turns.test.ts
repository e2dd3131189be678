/**
 * Work that can wait yields to arrivals (src/core/quiet-turns.ts): it starts once a loop turn had no
 * arrival and none came during the short pause after it; a stream of arrivals that never pauses still
 * lets it through. The pause is one the test ends itself, so nothing here waits on real time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QuietTurns } from '../../src/core/quiet-turns.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A pause the test ends: `started` counts pauses begun, `end()` ends the current one. */
function manualPause() {
  const ends: Array<() => void> = [];
  return {
    get started() {
      return ends.length;
    },
    end: () => ends.at(-1)!(),
    pause: () => new Promise<void>((resolve) => ends.push(resolve)),
  };
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await turn();
}

describe('quiet turns', () => {
  it('waits while something arrives every turn; a turn without one starts the pause, and its end lets the work start', async () => {
    const p = manualPause();
    const arrivals = new QuietTurns(200, p.pause);
    let quiet = false;
    void arrivals.quiet().then(() => (quiet = true));
    for (let i = 0; i < 20; i++) {
      arrivals.arrived();
      await turn();
      assert.equal(p.started, 0, `an arrival in turn ${i} keeps the work waiting, with no pause begun`);
    }
    await until(() => p.started === 1);
    assert.equal(quiet, false, 'a quiet turn alone does not start the work');
    p.end();
    await arrivals.quiet();
    assert.equal(quiet, true);
  });

  it('an arrival during the pause (the next chunk of a burst) keeps the work waiting', async () => {
    const p = manualPause();
    const arrivals = new QuietTurns(200, p.pause);
    arrivals.arrived();
    let quiet = false;
    const done = arrivals.quiet().then(() => (quiet = true));
    await until(() => p.started === 1);
    arrivals.arrived();
    p.end();
    await until(() => p.started === 2);
    assert.equal(quiet, false, 'the arrival in the pause sent the watch back to waiting');
    p.end();
    await done;
  });

  it('once quiet is confirmed, the next wait with nothing arrived in between pays one turn, not another pause', async () => {
    const p = manualPause();
    const arrivals = new QuietTurns(200, p.pause);
    arrivals.arrived();
    const first = arrivals.quiet();
    await until(() => p.started === 1);
    p.end();
    await first;
    await arrivals.quiet();
    await arrivals.quiet();
    assert.equal(p.started, 1, 'one after another, as the forecast lines up its acceptances');
    arrivals.arrived();
    const third = arrivals.quiet();
    await until(() => p.started === 2);
    p.end();
    await third;
  });

  it('lets the work through after maxTurns of unbroken arrivals', async () => {
    const p = manualPause();
    const arrivals = new QuietTurns(5, p.pause);
    let quiet = false;
    void arrivals.quiet().then(() => (quiet = true));
    for (let i = 0; i < 8 && !quiet; i++) {
      arrivals.arrived();
      await turn();
    }
    assert.equal(quiet, true);
    assert.equal(p.started, 0);
  });

  it('one watch serves every waiter at once; by default the pause is a few real milliseconds', async () => {
    const arrivals = new QuietTurns();
    assert.equal(arrivals.quiet(), arrivals.quiet());
    await arrivals.quiet();
  });
});
