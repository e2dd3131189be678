/**
 * `@name` in a prompt: finding mentions, resolving them against the tenant's
 * registry, and rendering the prompt in a backend's own syntax.
 */
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import type { MentionStyle } from './capabilities.js';
import type { Character, CharacterBinding } from './types.js';

/** Character names: 2–32 letters, digits, `_` or `-`; compared case-insensitively. */
export const CHARACTER_NAME = /^[\p{L}\p{N}_-]{2,32}$/u;

// A mention starts at the beginning or after a character that cannot be part of
// a word, so `me@example.com` is not a mention of `example`.
const MENTION = /(^|[^\p{L}\p{N}_@-])@([\p{L}\p{N}_-]{2,32})/gu;

export function characterKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

export interface MentionSpan {
  key: string;
  start: number;
  end: number;
}

export function findMentions(prompt: string): MentionSpan[] {
  const spans: MentionSpan[] = [];
  for (const match of prompt.matchAll(MENTION)) {
    const start = match.index + match[1]!.length;
    spans.push({ key: characterKey(match[2]!), start, end: start + 1 + match[2]!.length });
  }
  return spans;
}

/** Distinct character keys in order of first mention. */
export function mentionedKeys(prompt: string): string[] {
  return [...new Set(findMentions(prompt).map((m) => m.key))];
}

/**
 * Resolves every mention against the registry. An unknown name is an error
 * that suggests the closest registered names.
 */
export function resolveMentions(prompt: string, registry: ReadonlyMap<string, Character>): Character[] {
  const keys = mentionedKeys(prompt);
  const unknown = keys.filter((k) => !registry.has(k));
  if (unknown.length > 0) {
    const first = unknown[0]!;
    const suggestions = closestNames(first, [...registry.values()].map((c) => c.name));
    throw new UserFacingError(msg('unknown_character', { name: first, suggestions, otherwise: registry.size === 0 ? 'create' : 'list' }));
  }
  return keys.map((k) => registry.get(k)!);
}

export function closestNames(target: string, names: string[], max = 3): string[] {
  const t = characterKey(target);
  return names
    .map((name) => ({ name, distance: editDistance(t, characterKey(name)), prefix: characterKey(name).startsWith(t) || t.startsWith(characterKey(name)) }))
    .filter((c) => c.prefix || c.distance <= Math.max(1, Math.floor(t.length / 3)))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((c) => c.name);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function bindingId(binding: CharacterBinding | undefined): string {
  if (!binding || binding.kind === 'reference-images') throw new Error('this mention style needs a provider-side id');
  return binding.id;
}

/**
 * Rewrites `@name` mentions in a backend's syntax. `characters` are in order
 * of first mention (the order the backend receives them in), and `bindings`
 * maps character keys to this backend's binding.
 */
export function renderPromptForBackend(
  prompt: string,
  characters: Character[],
  style: MentionStyle,
  bindings: ReadonlyMap<string, CharacterBinding>,
): string {
  const index = new Map(characters.map((c, i) => [c.key, i]));
  const described = new Set<string>();
  let out = '';
  let last = 0;
  for (const span of findMentions(prompt)) {
    const position = index.get(span.key);
    if (position === undefined) continue;
    const character = characters[position]!;
    out += prompt.slice(last, span.start);
    switch (style.kind) {
      case 'name':
        // OpenAI requires the character's registered name verbatim in the prompt.
        out += character.name;
        break;
      case 'binding-id':
        out += style.template.replace('{id}', bindingId(bindings.get(character.key)));
        break;
      case 'indexed':
        out += style.template.replace('{n}', String(position + 1)).replace('{i}', String(position));
        break;
      case 'description':
        // No tag syntax (Veo): describe the subject in words, once, then use the name.
        if (!described.has(character.key) && character.description) {
          out += `${character.name} (${character.description})`;
          described.add(character.key);
        } else {
          out += character.name;
        }
        break;
    }
    last = span.end;
  }
  return out + prompt.slice(last);
}
