/**
 * Small builders for core tests: characters and backends with declared
 * capabilities. Backends here are plain objects implementing the port, used
 * only where a test is about routing from capabilities; end-to-end tests use
 * the real HTTP backends against the simulator.
 */
import type { Backend } from '../../src/core/ports.js';
import type { BackendCapabilities } from '../../src/core/capabilities.js';
import type { Character } from '../../src/core/types.js';

export function character(name: string, extra: Partial<Character> = {}): Character {
  return {
    tenant: 'test:A',
    name,
    key: name.toLowerCase(),
    description: `${name} description`,
    ownerId: 'u1',
    ownerName: 'Alice',
    source: { kind: 'clip', fileName: `${name}.mp4` },
    clipPath: `/tmp/${name}.mp4`,
    bindings: {},
    createdAt: 0,
    ...extra,
  };
}

export function capabilities(extra: Partial<BackendCapabilities> = {}): BackendCapabilities {
  return {
    displayName: 'Test',
    statusNote: 'test',
    stabilityRank: 1,
    characters: { binding: 'provider-character', max: 2, mention: { kind: 'name' } },
    seconds: [4, 8, 12],
    sizes: { landscape: { '720p': '1280x720', '1080p': '1920x1080' }, portrait: { '720p': '720x1280' } },
    // The same price with and without sound, so a test about something else is not steered by the team's default sound.
    price: { kind: 'per-second', microsPerSecond: { '720p': { on: 100_000, off: 100_000 }, '1080p': { on: 500_000, off: 500_000 } } },
    progress: 'percent',
    completion: 'poll',
    resultUrlTtlSeconds: 3600,
    remix: false,
    cancel: false,
    imageInput: false,
    chargesForModeratedJobs: false,
    ...extra,
  };
}

export function declaredBackend(id: string, caps: Partial<BackendCapabilities> = {}): Backend {
  const fail = () => Promise.reject(new Error('routing fixture: not callable'));
  return {
    id,
    capabilities: capabilities({ displayName: id, ...caps }),
    submit: fail,
    status: fail,
    openResult: fail,
    createCharacter: fail,
  };
}
