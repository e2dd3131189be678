/** The storyboard's text syntax: shots split by |, a shot's own flags kept with it, the board's flags after the last shot. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseShots } from '../../commands/storyboard-shots.js';
import { parseTextCommand } from '../../src/command-line/text-syntax.js';

describe('storyboard shots in the text syntax', () => {
  it("keeps a shot's own --seconds in its shot and applies the flags after the last shot to every shot", () => {
    const parsed = parseTextCommand('/sora storyboard @mascot wakes up --seconds 8 | @mascot makes coffee|@mascot walks out --seconds 4 --continuous');
    assert.equal(parsed.kind, 'command');
    if (parsed.kind !== 'command') return;
    assert.equal(parsed.command.options.seconds, 4);
    assert.equal(parsed.command.options.continuous, true);
    assert.deepEqual(parseShots(parsed.command.options.shots as string), [
      { prompt: '@mascot wakes up', seconds: 8 },
      { prompt: '@mascot makes coffee' },
      { prompt: '@mascot walks out' },
    ]);
  });

  it('refuses an empty shot, a bad per-shot value and more than five shots with a sentence', () => {
    assert.throws(() => parseShots('@mascot wakes up | | @mascot walks'), /Shot 2 needs a prompt/);
    assert.throws(() => parseShots('@mascot wakes up --seconds 99 | walks'), /Shot 1: --seconds must be a whole number from 1 to 20/);
    assert.throws(() => parseShots('a cat --orientation sideways | a dog'), /Shot 1: --orientation must be landscape or portrait/);
    assert.throws(() => parseShots('aaa|bbb|ccc|ddd|eee|fff'), /at most 5 shots/);
    assert.deepEqual(parseShots('a cat --orientation portrait | a dog'), [{ prompt: 'a cat', orientation: 'portrait' }, { prompt: 'a dog' }]);
  });
});
