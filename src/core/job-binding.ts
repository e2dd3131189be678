/**
 * Character binding: each backend needs its own form of a character (a
 * provider-side character id, an element, or reference frames cut from the
 * clip). Bindings are created on first use and stored on the character. When a
 * provider forgets one (it answers `binding_missing`), `heal` drops the stale
 * binding and recreates it once from the character's stored source.
 */
import type { CharacterRegistry } from './characters.js';
import type { Clock } from './clock.js';
import { ProviderError, UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { Backend, BoundCharacter, JobRepository, Logger, MediaStore } from './ports.js';
import type { Character, CharacterBinding, JobRecord } from './types.js';

export interface CharacterBinderDeps {
  characters: CharacterRegistry;
  jobs: JobRepository;
  media: MediaStore;
  clock: Clock;
  logger: Logger;
}

export class CharacterBinder {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly deps: CharacterBinderDeps) {}

  /** The job's characters as the registry holds them now; refuses a job whose character was deleted. */
  async charactersOf(job: JobRecord): Promise<Character[]> {
    const registry = await this.deps.characters.all(job.tenant);
    const characters = job.characterKeys.map((key) => registry.get(key)).filter((c): c is Character => c !== undefined);
    if (characters.length !== job.characterKeys.length) {
      throw new UserFacingError(msg('character.gone_before_start'), { code: 'character_deleted' });
    }
    return characters;
  }

  /** Gives each character the binding this backend needs, creating it the first time. */
  async bind(job: JobRecord, backend: Backend, characters: Character[], signal: AbortSignal, healing = false): Promise<BoundCharacter[]> {
    const out: BoundCharacter[] = [];
    for (const character of characters) {
      const binding = await this.mutex.run(`${job.tenant}:${character.key}:${backend.id}`, async () => {
        const fresh = (await this.deps.characters.get(job.tenant, character.key)) ?? character;
        const existing = fresh.bindings[backend.id];
        if (existing) return existing;
        const created = await this.create(job, backend, fresh, signal, healing);
        await this.deps.characters.setBinding(job.tenant, character.key, backend.id, created);
        this.deps.logger.info({ tenant: job.tenant, character: character.key, backend: backend.id, kind: created.kind }, 'character bound to backend');
        return created;
      });
      out.push({ name: character.name, description: character.description, binding });
    }
    return out;
  }

  /**
   * The provider no longer knows a binding it was given: drop this backend's
   * provider-side bindings of these characters and create them again, once.
   * If one cannot be recreated, the user is told which character on which backend.
   */
  async heal(job: JobRecord, backend: Backend, characters: Character[], stale: BoundCharacter[], signal: AbortSignal): Promise<BoundCharacter[]> {
    for (const [i, character] of characters.entries()) {
      const binding = stale[i]?.binding;
      // Reference frames live with the bot; only ids the provider holds can be forgotten.
      if (!binding || binding.kind === 'reference-images') continue;
      const dropped = await this.deps.characters.dropBinding(job.tenant, character.key, backend.id, binding);
      this.deps.logger.warn({ job: job.id, character: character.key, backend: backend.id, dropped }, 'provider forgot a character binding; recreating it');
    }
    const out: BoundCharacter[] = [];
    for (const character of characters) {
      try {
        out.push(...(await this.bind(job, backend, [character], signal, true)));
      } catch (error) {
        if (signal.aborted) throw error;
        this.deps.logger.warn({ err: error, job: job.id, character: character.key, backend: backend.id }, 'recreating a character binding failed');
        throw new UserFacingError(msg('binding.lost', { backendName: backend.capabilities.displayName, name: character.name }), { code: 'binding_lost' });
      }
    }
    return out;
  }

  private async create(job: JobRecord, backend: Backend, character: Character, signal: AbortSignal, healing: boolean): Promise<CharacterBinding> {
    const kind = backend.capabilities.characters.binding;
    const needsFrames = kind === 'reference-images' || kind === 'element';
    const frames = needsFrames && character.clipPath ? await this.deps.media.extractFrames(character.clipPath, 4) : [];
    if (kind === 'reference-images') {
      if (frames.length === 0) {
        throw new UserFacingError(msg('binding.no_frames', { name: character.name, backendName: backend.capabilities.displayName }), { code: 'no_frames' });
      }
      return { kind: 'reference-images', frontal: frames[0]!, references: frames.slice(1), createdAt: this.deps.clock.now() };
    }
    if (!backend.createCharacter) {
      throw new UserFacingError(msg('binding.unsupported', { backendName: backend.capabilities.displayName }), { code: 'no_binding' });
    }
    let providerJobId: string | undefined;
    // A provider that forgot a character has likely forgotten the source job too: heal from the kept clip.
    if (character.source.kind === 'job' && !(healing && character.clipPath)) {
      const sourceJob = await this.deps.jobs.get(character.source.jobId);
      if (sourceJob?.backend === backend.id) providerJobId = sourceJob.providerJobId;
    }
    const clipUrl =
      character.source.kind === 'url'
        ? character.source.url
        : character.clipPath
          ? await this.deps.media.publicUrlFor(character.clipPath, 60 * 60_000)
          : undefined;
    await this.deps.media.bringLocal([character.clipPath]);
    return backend.createCharacter(
      { name: character.name, description: character.description, clipPath: character.clipPath, clipUrl, providerJobId, frames },
      signal,
    );
  }
}

/** Whether a submit failed because the provider forgot a character binding it was given. */
export function isBindingMissing(error: unknown): error is ProviderError {
  return error instanceof ProviderError && error.kind === 'binding_missing';
}
