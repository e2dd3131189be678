/**
 * Reference frames for backends whose characters are images (fal models,
 * Veo, Kling elements). The core cuts the frames from the character's clip;
 * these helpers read them in the encodings the providers accept.
 */
import { readFile } from 'node:fs/promises';
import { ProviderError } from '../core/errors.js';
import type { BoundCharacter } from '../core/ports.js';

export interface CharacterFrames {
  frontal: string;
  references: string[];
}

/** The frames of each character, in tag order; throws when a character carries no image binding. */
export function framesOf(backend: string, characters: BoundCharacter[]): CharacterFrames[] {
  return characters.map((c) => {
    if (c.binding.kind !== 'reference-images') {
      throw new ProviderError({ kind: 'invalid_input', backend, message: `${backend}: characters need reference-image bindings on this backend` });
    }
    return { frontal: c.binding.frontal, references: c.binding.references };
  });
}

export function imageMimeType(path: string): string {
  const ext = path.toLowerCase().split('.').pop();
  if (ext === 'png') return 'image/png';
  if (ext === 'webp') return 'image/webp';
  return 'image/jpeg';
}

export async function imageBase64(path: string): Promise<{ data: string; mimeType: string }> {
  return { data: (await readFile(path)).toString('base64'), mimeType: imageMimeType(path) };
}

/**
 * A `data:` URI. fal's file inputs accept base64 data URIs in place of URLs,
 * which keeps working when the bot has no PUBLIC_URL for providers to fetch from.
 */
export async function imageDataUri(path: string): Promise<string> {
  const { data, mimeType } = await imageBase64(path);
  return `data:${mimeType};base64,${data}`;
}

/**
 * Up to `max` images over all characters: every frontal frame first (so each
 * character is represented), then references in turn.
 */
export function pooledFrames(frames: CharacterFrames[], max: number): string[] {
  const out = frames.map((f) => f.frontal);
  for (let round = 0; out.length < max; round++) {
    let added = false;
    for (const f of frames) {
      const ref = f.references[round];
      if (ref !== undefined && out.length < max) {
        out.push(ref);
        added = true;
      }
    }
    if (!added) break;
  }
  return out.slice(0, max);
}
