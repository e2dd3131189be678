/**
 * Which stored files each character and job owns. A character owns its clip
 * and the reference frames of its bindings; a job that has not ended owns its
 * `--image` and its result. The media sweep keeps exactly these, and deleting
 * a character drops what it owned.
 */
import type { CharacterRegistry } from './characters.js';
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import type { JobRepository, MediaStore } from './ports.js';
import type { Character, TenantId } from './types.js';

/** The local files a character names (its clip and any reference frames). */
export function filesOfCharacter(character: Character): string[] {
  const files = character.clipPath ? [character.clipPath] : [];
  for (const binding of Object.values(character.bindings)) {
    if (binding.kind === 'reference-images') files.push(binding.frontal, ...binding.references);
  }
  return files;
}

/** Every file a live character of these teams, or any job still in flight, needs. */
export async function filesInUse(characters: CharacterRegistry, jobs: JobRepository, tenants: TenantId[]): Promise<Set<string>> {
  const needed = new Set<string>();
  for (const tenant of tenants) {
    for (const character of (await characters.all(tenant)).values()) for (const file of filesOfCharacter(character)) needed.add(file);
  }
  // A job keeps its image until it ends, not only until it is submitted: a fallback resubmits it elsewhere.
  for (const job of await jobs.activeJobs()) {
    if (job.input.imagePath) needed.add(job.input.imagePath);
    if (job.resultPath) needed.add(job.resultPath);
  }
  return needed;
}

/**
 * Fetches (for a URL) and takes a character's clip into the team's folder.
 * A refusal at any step leaves no file behind.
 */
export async function takeClip(media: MediaStore, tenant: TenantId, source: { clipPath?: string; url?: string; resultPath?: string }): Promise<string> {
  if (source.url !== undefined) {
    const fetched = await media.fetchSource(source.url, 'video');
    try {
      return (await media.importFile(fetched.path, 'video', tenant)).path;
    } catch (error) {
      await media.discard([fetched.path]);
      throw error;
    }
  }
  return (await media.importFile((source.clipPath ?? source.resultPath)!, 'video', tenant)).path;
}

/** Refuses a request that names an image the bot no longer holds (a retry after the image was cleaned up). */
export async function requireHeldImage(media: MediaStore, imagePath: string | undefined): Promise<void> {
  if (imagePath === undefined || (await media.holds(imagePath))) return;
  throw new UserFacingError(msg('image_gone'));
}
