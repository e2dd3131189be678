/**
 * Ids come from a pool of random bytes fetched 4 KB at a time (src/core/ids.ts): across several
 * refills no id repeats, and every character is from the typed-by-hand alphabet.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newJobId, newSubmissionKey } from '../../src/core/ids.js';

test('ids stay distinct across refills of the random pool, in the alphabet without look-alikes', () => {
  // 26 bytes a key: 2,000 keys take about 13 pools of 4,096 bytes.
  const keys = Array.from({ length: 2_000 }, () => newSubmissionKey());
  assert.equal(new Set(keys).size, keys.length);
  for (const key of keys) assert.match(key, /^sub_[0-9a-hjkmnp-tv-z]{26}$/);
  assert.match(newJobId(), /^j_[0-9a-hjkmnp-tv-z]{8}$/);
});
