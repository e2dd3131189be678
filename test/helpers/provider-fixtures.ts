/**
 * Inputs for the live-provider contract tests: reference frames on disk (the
 * bytes need only look like a JPEG: backends read and encode them, the
 * simulators check the encoding), bound characters and generation requests.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BoundCharacter, GenerationRequest } from '../../src/core/ports.js';
import { renderPromptForBackend } from '../../src/core/mentions.js';
import type { Backend } from '../../src/core/ports.js';
import type { CharacterBinding } from '../../src/core/types.js';
import { character } from './fixtures.js';

const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);

export async function frameFiles(label: string, count = 4): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), `frames-${label}-`));
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `${label}-${i}.jpg`);
    await writeFile(path, Buffer.concat([JPEG_HEAD, Buffer.from(`${label}:${i}`)]));
    paths.push(path);
  }
  return paths;
}

export async function imageBound(name: string, description = `${name} description`): Promise<BoundCharacter> {
  const [frontal, ...references] = await frameFiles(name);
  return { name, description, binding: { kind: 'reference-images', frontal: frontal!, references, createdAt: 0 } };
}

let seq = 0;
export function generationRequest(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  seq++;
  return {
    jobId: `j_prov${seq}`,
    idempotencyKey: `sub_prov_${seq}_${Date.now()}`,
    prompt: 'a red fox runs through snow',
    seconds: 5,
    size: '1280x720',
    orientation: 'landscape',
    resolution: '720p',
    audio: 'off',
    characters: [],
    imagePath: undefined,
    remixOfProviderJobId: undefined,
    webhookUrl: undefined,
    ...overrides,
  };
}

/** Renders `prompt` (with `@name` mentions) in the backend's declared mention style, as the job runner does. */
export function renderFor(backend: Backend, prompt: string, bound: BoundCharacter[]): string {
  const characters = bound.map((b) => character(b.name, { description: b.description }));
  const bindings = new Map<string, CharacterBinding>(bound.map((b, i) => [characters[i]!.key, b.binding]));
  return renderPromptForBackend(prompt, characters, backend.capabilities.characters.mention, bindings);
}
