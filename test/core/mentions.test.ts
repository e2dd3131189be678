import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserFacingError } from '../../src/core/errors.js';
import { findMentions, mentionedKeys, renderPromptForBackend, resolveMentions } from '../../src/core/mentions.js';
import type { CharacterBinding } from '../../src/core/types.js';
import { character } from '../helpers/fixtures.js';

const mascot = character('Mascot');
const robo = character('robo_2');
const registry = new Map([
  ['mascot', mascot],
  ['robo_2', robo],
]);

describe('mentions', () => {
  it('finds @names case-insensitively, in order of first mention, and ignores e-mail addresses', () => {
    assert.deepEqual(mentionedKeys('@MASCOT meets @robo_2, then @mascot waves; mail me@example.com'), ['mascot', 'robo_2']);
    assert.equal(findMentions('write to team@mascot.com').length, 0);
  });

  it('resolves mentions against the registry', () => {
    assert.deepEqual(resolveMentions('@mascot and @Robo_2 dance', registry).map((c) => c.key), ['mascot', 'robo_2']);
  });

  it('refuses an unknown name and suggests close matches', () => {
    assert.throws(
      () => resolveMentions('@mascott waves', registry),
      (error: unknown) => error instanceof UserFacingError && /no character called @mascott/.test(error.userMessage) && /Did you mean @Mascot\?/.test(error.userMessage),
    );
    assert.throws(() => resolveMentions('@zz waves', new Map()), /create one with \/character create/);
  });

  const bindings = new Map<string, CharacterBinding>([
    ['mascot', { kind: 'provider-character', id: 'char_m1', createdAt: 0 }],
    ['robo_2', { kind: 'provider-character', id: 'char_r2', createdAt: 0 }],
  ]);

  it('renders one character in each backend syntax', () => {
    const prompt = '@mascot walks along a beach';
    assert.equal(renderPromptForBackend(prompt, [mascot], { kind: 'name' }, bindings), 'Mascot walks along a beach');
    assert.equal(renderPromptForBackend(prompt, [mascot], { kind: 'binding-id', template: '@{id}' }, bindings), '@char_m1 walks along a beach');
    assert.equal(renderPromptForBackend(prompt, [mascot], { kind: 'indexed', template: '<<<element_{n}>>>' }, bindings), '<<<element_1>>> walks along a beach');
    assert.equal(
      renderPromptForBackend(prompt, [mascot], { kind: 'description' }, bindings),
      'Mascot (Mascot description) walks along a beach',
    );
  });

  it('renders two characters with positions following first mention, repeated mentions reusing the tag', () => {
    const prompt = '@robo_2 chases @mascot; @robo_2 wins';
    const chars = resolveMentions(prompt, registry);
    assert.equal(renderPromptForBackend(prompt, chars, { kind: 'indexed', template: '@Element{n}' }, bindings), '@Element1 chases @Element2; @Element1 wins');
    assert.equal(renderPromptForBackend(prompt, chars, { kind: 'binding-id', template: '@{id}' }, bindings), '@char_r2 chases @char_m1; @char_r2 wins');
    assert.equal(renderPromptForBackend(prompt, chars, { kind: 'name' }, bindings), 'robo_2 chases Mascot; robo_2 wins');
    assert.equal(
      renderPromptForBackend(prompt, chars, { kind: 'description' }, bindings),
      'robo_2 (robo_2 description) chases Mascot (Mascot description); robo_2 wins',
    );
  });
});
