/**
 * Characters as use cases: register once (from a clip, a link or an earlier
 * job), list, show which backends are ready, delete with every file and
 * provider-side binding. The Studio facade delegates here.
 */
import type { CharacterRegistry } from './characters.js';
import type { Clock } from './clock.js';
import { UserFacingError } from './errors.js';
import { msg } from './messages.js';
import { filesOfCharacter, takeClip } from './media-ownership.js';
import { CHARACTER_NAME, characterKey, closestNames } from './mentions.js';
import type { Backend, JobRepository, Logger, MediaStore } from './ports.js';
import type { Readiness } from './message-codes-outcomes.js';
import { unsuitable } from './router.js';
import { Sight } from './visibility.js';
import { hasVideo, type Actor, type Character, type JobRecord, type TenantId } from './types.js';

export interface CharacterView {
  character: Character;
  /** Per backend: ready (bound), on first use (created lazily), or why not. */
  readiness: ({ backend: string; name: string } & Readiness)[];
}

export interface CharacterCatalogDeps {
  characters: CharacterRegistry;
  jobs: JobRepository;
  backends: ReadonlyMap<string, Backend>;
  media: MediaStore;
  clock: Clock;
  logger: Logger;
  publicUrl: string | undefined;
  /** A job the actor can see (`--from_job`); one that exists elsewhere reads like one that does not. */
  visibleJob: (actor: Actor, jobId: string) => Promise<JobRecord>;
}

export class CharacterCatalog {
  constructor(private readonly deps: CharacterCatalogDeps) {}


  async createCharacter(
    actor: Actor,
    request: { name: string; description: string | undefined; clipPath?: string; url?: string; fromJob?: string },
  ): Promise<CharacterView> {
    const name = request.name.trim().replace(/^@/, '');
    if (!CHARACTER_NAME.test(name)) {
      throw new UserFacingError(msg('character.bad_name'), { code: 'bad_name' });
    }
    const key = characterKey(name);
    const sources = [request.clipPath, request.url, request.fromJob].filter((s) => s !== undefined && s !== '');
    if (sources.length !== 1) {
      throw new UserFacingError(msg('character.bad_source'), { code: 'bad_source' });
    }
    if (await this.deps.characters.get(actor.tenant, key)) {
      throw new UserFacingError(msg('character.name_taken', { name, advice: true }), { code: 'name_taken' });
    }
    const media = this.deps.media;
    let clipPath: string;
    let source: Character['source'];
    if (request.clipPath) {
      clipPath = await takeClip(media, actor.tenant, { clipPath: request.clipPath });
      source = { kind: 'clip', fileName: request.clipPath.split(/[\\/]/).pop() ?? 'clip.mp4' };
    } else if (request.url) {
      clipPath = await takeClip(media, actor.tenant, { url: request.url });
      source = { kind: 'url', url: request.url };
    } else {
      const job = await this.deps.visibleJob(actor, request.fromJob!);
      if (!hasVideo(job) || !job.resultPath) {
        throw new UserFacingError(msg('character.job_not_finished', { jobId: job.id }), { code: 'not_finished' });
      }
      try {
        clipPath = await takeClip(media, actor.tenant, { resultPath: job.resultPath });
      } catch (error) {
        // Too large, over the quota or not a video: the sentence says so. Only a missing file means "gone".
        if (error instanceof UserFacingError && error.code !== 'source_missing') throw error;
        this.deps.logger.warn({ err: error, job: job.id }, 'source video of job is gone');
        throw new UserFacingError(msg('character.source_gone', { jobId: job.id }), { code: 'source_gone' });
      }
      source = { kind: 'job', jobId: job.id };
    }
    const character: Character = {
      tenant: actor.tenant,
      name,
      key,
      description: (request.description ?? '').trim(),
      ownerId: actor.userId,
      ownerName: actor.displayName,
      source,
      clipPath,
      bindings: {},
      createdAt: this.deps.clock.now(),
    };
    if (!(await this.deps.characters.add(character))) {
      await media.discard([clipPath]);
      throw new UserFacingError(msg('character.name_taken', { name, advice: false }), { code: 'name_taken' });
    }
    this.deps.logger.info({ tenant: actor.tenant, character: key, source: source.kind }, 'character created');
    return this.viewCharacter(character);
  }

  async listCharacters(actor: Actor): Promise<Character[]> {
    return [...(await this.deps.characters.all(actor.tenant)).values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  async showCharacter(actor: Actor, name: string): Promise<CharacterView> {
    return this.viewCharacter(await this.requireCharacter(actor, name));
  }

  async deleteCharacter(actor: Actor, name: string): Promise<Character> {
    const character = await this.requireCharacter(actor, name);
    if (character.ownerId !== actor.userId && !actor.isAdmin) {
      throw new UserFacingError(msg('character.not_allowed', { ownerName: character.ownerName, name: character.name }), { code: 'not_allowed' });
    }
    await this.deps.characters.remove(actor.tenant, character.key);
    await this.deps.media.discard(filesOfCharacter(character));
    for (const [backendId, binding] of Object.entries(character.bindings)) {
      const backend = this.deps.backends.get(backendId);
      if (!backend?.deleteCharacter) continue;
      // Best effort: the registry entry is already gone, a provider-side leftover only costs storage.
      backend.deleteCharacter(binding).catch((error: unknown) => this.deps.logger.warn({ err: error, backend: backendId }, 'could not delete provider-side character'));
    }
    return character;
  }

  private async requireCharacter(actor: Actor, name: string): Promise<Character> {
    const registry = await this.deps.characters.all(actor.tenant);
    const character = registry.get(characterKey(name.replace(/^@/, '')));
    if (!character) {
      const close = closestNames(name.replace(/^@/, ''), [...registry.values()].map((c) => c.name));
      throw new UserFacingError(msg('unknown_character', { name: name.replace(/^@/, ''), suggestions: close, otherwise: 'nothing' }));
    }
    return character;
  }

  viewCharacter(character: Character): CharacterView {
    const readiness = [...this.deps.backends.values()].map((backend) => {
      const caps = backend.capabilities;
      const base = { backend: backend.id, name: caps.displayName };
      if (character.bindings[backend.id]) return { ...base, state: 'ready' as const };
      const why = unsuitable(backend, {
        characters: [character],
        seconds: undefined,
        orientation: 'landscape',
        resolution: '720p',
        // Whether a backend can keep a character does not depend on sound.
        audio: 'off',
        audioChosen: false,
        hasImage: false,
        filesReachable: this.deps.publicUrl !== undefined,
      });
      if (why || (caps.characters.binding !== 'reference-images' && !backend.createCharacter)) {
        return { ...base, state: 'unsupported' as const, ...(why && { why }) };
      }
      return { ...base, state: 'on-first-use' as const };
    });
    return { character, readiness };
  }

  /** Autocomplete: this tenant's character names starting with (or containing) the typed text. */
  async suggestCharacters(tenant: TenantId, typed: string, limit = 25): Promise<string[]> {
    const t = characterKey(typed.replace(/^@/, ''));
    const names = [...(await this.deps.characters.all(tenant)).values()].map((c) => c.name).sort();
    return [...names.filter((n) => characterKey(n).startsWith(t)), ...names.filter((n) => !characterKey(n).startsWith(t) && characterKey(n).includes(t))].slice(0, limit);
  }

  async suggestJobs(actor: Actor, typed: string, limit = 25): Promise<JobRecord[]> {
    const matching = (await this.deps.jobs.recent(actor.tenant)).filter((j) => j.id.startsWith(typed.trim()));
    return (await new Sight(actor).filter(matching)).slice(0, limit);
  }
}
