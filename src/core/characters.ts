/**
 * The per-tenant character registry, keyed by the lower-cased name. A tenant
 * only ever reads its own characters, which is what keeps one team's characters
 * out of another's prompts and autocomplete. `CharacterRegistry` is the port;
 * on SQLite and Postgres it is a table (src/store/sql/sql-characters.ts), on
 * Redis one keyv document per tenant (`DocumentCharacterRegistry` below).
 */
import { DocumentCache } from './document-cache.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { KeyValueStore } from './ports.js';
import type { Character, CharacterBinding, TenantId } from './types.js';

export interface CharacterRegistry {
  all(tenant: TenantId): Promise<Map<string, Character>>;
  get(tenant: TenantId, key: string): Promise<Character | undefined>;
  /** Adds a character; returns false when the name is taken (decided atomically, across replicas too). */
  add(character: Character): Promise<boolean>;
  remove(tenant: TenantId, key: string): Promise<Character | undefined>;
  setBinding(tenant: TenantId, key: string, backend: string, binding: CharacterBinding): Promise<void>;
  /**
   * Drops a backend's binding the provider no longer knows, unless it was replaced
   * meanwhile (another job already recreated it): returns whether it was dropped.
   */
  dropBinding(tenant: TenantId, key: string, backend: string, stale: CharacterBinding): Promise<boolean>;
}

/** One keyv document per tenant, changed under an in-process lock: right where one process writes the store. */
export class DocumentCharacterRegistry implements CharacterRegistry {
  private readonly mutex = new KeyedMutex();
  private readonly documents: DocumentCache;

  constructor(store: KeyValueStore) {
    this.documents = new DocumentCache(store);
  }

  private key(tenant: TenantId): string {
    return `characters:${tenant}`;
  }

  async all(tenant: TenantId): Promise<Map<string, Character>> {
    const doc = (await this.documents.read<Record<string, Character>>(this.key(tenant))) ?? {};
    return new Map(Object.entries(doc));
  }

  async get(tenant: TenantId, key: string): Promise<Character | undefined> {
    return (await this.all(tenant)).get(key);
  }

  async add(character: Character): Promise<boolean> {
    return this.change(character.tenant, (doc) => {
      if (doc[character.key]) return false;
      doc[character.key] = character;
      return true;
    });
  }

  async remove(tenant: TenantId, key: string): Promise<Character | undefined> {
    return this.change(tenant, (doc) => {
      const existing = doc[key];
      delete doc[key];
      return existing;
    });
  }

  async setBinding(tenant: TenantId, key: string, backend: string, binding: CharacterBinding): Promise<void> {
    await this.change(tenant, (doc) => {
      const c = doc[key];
      if (c) c.bindings[backend] = binding;
      return undefined;
    });
  }

  async dropBinding(tenant: TenantId, key: string, backend: string, stale: CharacterBinding): Promise<boolean> {
    return this.change(tenant, (doc) => {
      const c = doc[key];
      if (!c || JSON.stringify(c.bindings[backend]) !== JSON.stringify(stale)) return false;
      delete c.bindings[backend];
      return true;
    });
  }

  private change<T>(tenant: TenantId, mutate: (doc: Record<string, Character>) => T): Promise<T> {
    const key = this.key(tenant);
    return this.mutex.run(key, async () => {
      const doc = (await this.documents.read<Record<string, Character>>(key)) ?? {};
      const result = mutate(doc);
      await this.documents.write(key, doc);
      return result;
    });
  }
}
