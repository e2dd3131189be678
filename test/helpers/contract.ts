/**
 * Drives every combination a backend's capabilities allow (each duration,
 * orientation, quality, character count and image input) through the real
 * backend's `submit`, so a validating simulator can refuse any request the
 * backend would build wrong. Returns the combinations that were refused.
 */
import type { Backend, BoundCharacter } from '../../src/core/ports.js';
import type { Orientation, Quality } from '../../src/core/types.js';
import { generationRequest, renderFor } from './provider-fixtures.js';

export interface Combination {
  seconds: number;
  orientation: Orientation;
  quality: Quality;
  characters: number;
  image: boolean;
}

export function combinations(backend: Backend, available: { characters: number; image: boolean }): Combination[] {
  const caps = backend.capabilities;
  const out: Combination[] = [];
  const maxCharacters = Math.min(caps.characters.max, available.characters);
  for (const seconds of caps.seconds) {
    for (const orientation of ['landscape', 'portrait'] as const) {
      for (const quality of ['standard', 'high'] as const) {
        if (caps.sizes[orientation][quality] === undefined) continue;
        for (let characters = 0; characters <= maxCharacters; characters++) {
          for (const image of caps.imageInput && available.image ? [false, true] : [false]) {
            out.push({ seconds, orientation, quality, characters, image });
          }
        }
      }
    }
  }
  return out;
}

export async function refusedCombinations(
  backend: Backend,
  options: { characters: BoundCharacter[]; imagePath?: string; prompt?: string },
): Promise<{ tried: number; refused: string[] }> {
  const refused: string[] = [];
  const all = combinations(backend, { characters: options.characters.length, image: options.imagePath !== undefined });
  for (const c of all) {
    const bound = options.characters.slice(0, c.characters);
    const mentions = bound.map((b) => `@${b.name}`).join(' and ');
    const prompt = renderFor(backend, `${mentions ? `${mentions} ` : ''}${options.prompt ?? 'walk along a beach at sunset'}`, bound);
    const request = generationRequest({
      prompt,
      seconds: c.seconds,
      orientation: c.orientation,
      quality: c.quality,
      size: backend.capabilities.sizes[c.orientation][c.quality]!,
      characters: bound,
      imagePath: c.image ? options.imagePath : undefined,
    });
    try {
      await backend.submit(request);
    } catch (error) {
      refused.push(`${JSON.stringify(c)} → ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { tried: all.length, refused };
}
