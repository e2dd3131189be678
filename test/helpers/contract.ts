/**
 * Drives every combination a backend's capabilities allow (each duration,
 * orientation, resolution, sound, character count and image input) through the real
 * backend's `submit`, so a validating simulator can refuse any request the
 * backend would build wrong. Returns the combinations that were refused.
 */
import type { Backend, BoundCharacter } from '../../src/core/ports.js';
import { rateOf } from '../../src/core/pricing.js';
import { RESOLUTIONS, type Orientation, type Resolution, type Sound } from '../../src/core/types.js';
import { generationRequest, renderFor } from './provider-fixtures.js';

export interface Combination {
  seconds: number;
  orientation: Orientation;
  resolution: Resolution;
  audio: Sound;
  characters: number;
  image: boolean;
}

export function combinations(backend: Backend, available: { characters: number; image: boolean }): Combination[] {
  const caps = backend.capabilities;
  const out: Combination[] = [];
  const maxCharacters = Math.min(caps.characters.max, available.characters);
  for (const seconds of caps.seconds) {
    for (const orientation of ['landscape', 'portrait'] as const) {
      for (const resolution of RESOLUTIONS) {
        if (caps.sizes[orientation][resolution] === undefined) continue;
        // Each sound the backend prices at this resolution is a request it declares it can build.
        for (const audio of (['off', 'on'] as const).filter((s) => rateOf(caps.price, resolution, s) !== undefined)) {
          for (let characters = 0; characters <= maxCharacters; characters++) {
            for (const image of caps.imageInput && available.image ? [false, true] : [false]) {
              out.push({ seconds, orientation, resolution, audio, characters, image });
            }
          }
        }
      }
    }
  }
  return out;
}

/** What the simulator made for a provider job id: its frame size and whether it has sound. */
export type MadeLookup = (providerJobId: string) => { size: string; sound: boolean } | undefined;

/** A lookup into the simulator's render queue (provider ids end in the simulator's job id). */
export const madeBy =
  (jobs: { get(id: string): { size: string; sound: boolean } | undefined }): MadeLookup =>
  (providerJobId) =>
    jobs.get(providerJobId.split('/').pop()!);

/**
 * Each combination goes through `submit`; a refusal, or (with `made`) a job whose size or sound is not
 * what the combination asked for, is listed. `concurrency` submits that many at once.
 */
export async function refusedCombinations(
  backend: Backend,
  options: { characters: BoundCharacter[]; imagePath?: string; prompt?: string; made?: MadeLookup; concurrency?: number },
): Promise<{ tried: number; refused: string[]; combinations: Combination[] }> {
  const refused: string[] = [];
  const all = combinations(backend, { characters: options.characters.length, image: options.imagePath !== undefined });
  const attempt = async (c: Combination): Promise<void> => {
    const bound = options.characters.slice(0, c.characters);
    const mentions = bound.map((b) => `@${b.name}`).join(' and ');
    const prompt = renderFor(backend, `${mentions ? `${mentions} ` : ''}${options.prompt ?? 'walk along a beach at sunset'}`, bound);
    const size = backend.capabilities.sizes[c.orientation][c.resolution]!;
    const request = generationRequest({
      prompt,
      seconds: c.seconds,
      orientation: c.orientation,
      resolution: c.resolution,
      audio: c.audio,
      size,
      characters: bound,
      imagePath: c.image ? options.imagePath : undefined,
    });
    try {
      const { providerJobId } = await backend.submit(request);
      const made = options.made?.(providerJobId);
      if (options.made && (!made || made.size !== size || made.sound !== (c.audio === 'on'))) {
        refused.push(`${JSON.stringify(c)} → made ${made ? `${made.size} ${made.sound ? 'with sound' : 'silent'}` : 'nothing'}`);
      }
    } catch (error) {
      refused.push(`${JSON.stringify(c)} → ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const step = options.concurrency ?? 1;
  for (let i = 0; i < all.length; i += step) await Promise.all(all.slice(i, i + step).map(attempt));
  return { tried: all.length, refused, combinations: all };
}
