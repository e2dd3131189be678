/**
 * Picks the backend for a job from declared capabilities only, never from
 * backend names: a job that names characters goes to a backend that can hold
 * them all; otherwise the tenant's policy orders the candidates (cheapest
 * first, or most stable first). Backends with an open circuit go last.
 * `--backend` takes an exact backend id (exactly that one) or a provider name
 * (`fal`, `gemini`, …: the cheapest of that provider's backends that can take it).
 */
import { UserFacingError } from './errors.js';
import type { BackendRefusal, Unsuitability } from './message-codes-errors.js';
import type { RouteReason } from './message-codes-outcomes.js';
import { msg } from './messages.js';
import type { Micros } from './money.js';
import type { Backend } from './ports.js';
import { estimateFor, fitSeconds, soundFor } from './pricing.js';
import type { RoutingPolicy } from './tenant-settings.js';
import type { Character, Orientation, Resolution, Sound } from './types.js';

export interface RouteRequest {
  characters: Character[];
  seconds: number | undefined;
  orientation: Orientation;
  resolution: Resolution;
  /** Sound wanted: the user's `--audio`, or the team's default. */
  audio: Sound;
  /** The user typed `--audio`: only backends that make exactly that may run the job. */
  audioChosen: boolean;
  hasImage: boolean;
  /** Backend the user asked for. */
  forced: string | undefined;
  policy: RoutingPolicy;
  isOpen: (backend: string) => boolean;
  /** The bot's files can be fetched from outside (PUBLIC_URL is set). Default true. */
  filesReachable?: boolean;
}

export interface Candidate {
  backend: Backend;
  seconds: number;
  size: string;
  /** Whether this backend makes the video with sound (the team's default when it can). */
  audio: Sound;
  estimateMicros: Micros;
}

export interface Route {
  candidates: Candidate[];
  reason: RouteReason;
  /** Set when the user asked for a length and the chosen backend's differs, or an exact one costs more. */
  duration?: DurationNotice;
}

/**
 * What the acceptance says about the length, as data: each surface words it,
 * naming the backend option in its own syntax (`--backend kling`, `backend:`).
 */
export interface DurationNotice {
  askedSeconds: number;
  /** The chosen backend's length, its name and price. */
  madeSeconds: number;
  backendName: string;
  estimateMicros: Micros;
  /** `@mascot and @robot`, or empty. */
  characterNames: string;
  policy: RoutingPolicy;
  forced: boolean;
  /** A backend the user can ask for that makes exactly the asked length (when the chosen one does not). */
  exact?: { backendId: string; backendName: string; estimateMicros: Micros };
  /** When the chosen backend makes the exact length at a higher price than another length elsewhere (cost policy). */
  cheaper?: { backendId: string; seconds: number; estimateMicros: Micros };
}


type UnsuitabilityRequest = Omit<RouteRequest, 'forced' | 'policy' | 'isOpen'>;

/** Why a backend cannot take a job, as data each language words; undefined when it can. */
export function unsuitable(backend: Backend, request: UnsuitabilityRequest): Unsuitability | undefined {
  const caps = backend.capabilities;
  const n = request.characters.length;
  if (n > 0 && !caps.characters.binding) return { kind: 'no_characters' };
  if (n > caps.characters.max) return { kind: 'too_many_characters', max: caps.characters.max };
  if (n > 0 && caps.characters.binding === 'reference-images' && request.characters.some((c) => !c.clipPath && !c.bindings[backend.id])) {
    return { kind: 'no_frames_source' };
  }
  if (
    n > 0 &&
    caps.characters.needsFetchableClip &&
    request.filesReachable === false &&
    request.characters.some((c) => !c.bindings[backend.id] && c.source.kind !== 'url')
  ) {
    return { kind: 'needs_public_url' };
  }
  if (!caps.sizes[request.orientation][request.resolution]) return { kind: 'no_size', resolution: request.resolution, orientation: request.orientation };
  if (!soundFor(caps, request.resolution, request.audio, request.audioChosen)) {
    if (!request.audioChosen) return { kind: 'no_price', resolution: request.resolution };
    return { kind: request.audio === 'on' ? 'no_sound' : 'no_silence' };
  }
  if (request.hasImage && !caps.imageInput) return { kind: 'no_image' };
  return undefined;
}

/** Each backend with why it cannot take the request (called when none of them can). */
function refusalsOf(backends: readonly Backend[], request: UnsuitabilityRequest): BackendRefusal[] {
  return backends.map((b) => ({ backendName: b.capabilities.displayName, why: unsuitable(b, request)! }));
}

/** The provider a backend belongs to: declared in its capabilities, else its own id. */
export function providerOf(backend: Backend): string {
  return backend.capabilities.provider ?? backend.id;
}

/** `--backend <provider>`: the cheapest of that provider's suitable backends first, the others as fallbacks. */
function routeWithinProvider(family: Backend[], provider: string, request: RouteRequest, candidateFor: (b: Backend) => Candidate): Route {
  const suitable = family.filter((b) => !unsuitable(b, request)).map(candidateFor);
  if (suitable.length === 0) {
    throw new UserFacingError(msg('backend.provider_unsuitable', { provider, refusals: refusalsOf(family, request) }), { code: 'backend_unsuitable' });
  }
  const cheapest = (a: Candidate, b: Candidate) =>
    Number(a.audio !== request.audio) - Number(b.audio !== request.audio) ||
    a.estimateMicros - b.estimateMicros ||
    a.backend.capabilities.stabilityRank - b.backend.capabilities.stabilityRank;
  const candidates = [...suitable.filter((c) => !request.isOpen(c.backend.id)).sort(cheapest), ...suitable.filter((c) => request.isOpen(c.backend.id)).sort(cheapest)];
  const first = candidates[0]!;
  return { candidates, reason: { kind: 'provider', backendName: first.backend.capabilities.displayName, provider, count: suitable.length } };
}

export function routeJob(backends: readonly Backend[], request: RouteRequest): Route {
  const candidateFor = (backend: Backend): Candidate => {
    const seconds = fitSeconds(request.seconds, backend.capabilities.seconds);
    const audio = soundFor(backend.capabilities, request.resolution, request.audio, request.audioChosen)!;
    return {
      backend,
      seconds,
      size: backend.capabilities.sizes[request.orientation][request.resolution]!,
      audio,
      estimateMicros: estimateFor(backend.capabilities, seconds, request.resolution, audio),
    };
  };

  if (request.forced) {
    const wanted = request.forced.toLowerCase();
    const backend = backends.find((b) => b.id === wanted);
    const family = backend ? [] : backends.filter((b) => providerOf(b) === wanted);
    if (family.length > 0) return routeWithinProvider(family, wanted, request, candidateFor);
    if (!backend) {
      const providers = [...new Set(backends.map(providerOf))].filter((p) => !backends.some((b) => b.id === p));
      throw new UserFacingError(msg('backend.unknown', { name: request.forced, available: backends.map((b) => b.id), providers }), { code: 'unknown_backend' });
    }
    const why = unsuitable(backend, request);
    if (why) throw new UserFacingError(msg('backend.unsuitable', { backendName: backend.capabilities.displayName, why }), { code: 'backend_unsuitable' });
    const chosen = candidateFor(backend);
    return { candidates: [chosen], reason: { kind: 'forced', backendName: backend.capabilities.displayName }, duration: durationNotice(chosen, backends.filter((b) => !unsuitable(b, request)).map(candidateFor), request, true) };
  }

  const suitable = backends.filter((b) => !unsuitable(b, request)).map(candidateFor);
  if (suitable.length === 0) throw new UserFacingError(msg('backend.none_suitable', { refusals: refusalsOf(backends, request) }), { code: 'no_backend' });

  // The team's default sound is kept when any suitable backend can make it: those come first. Then a
  // length the user asked for is kept when any suitable backend can make it exactly; then the policy.
  const soundFirst = (a: Candidate, b: Candidate) => Number(a.audio !== request.audio) - Number(b.audio !== request.audio);
  const exactFirst = (a: Candidate, b: Candidate) => Number(!isExact(a, request)) - Number(!isExact(b, request));
  const byPolicy = (a: Candidate, b: Candidate) =>
    soundFirst(a, b) ||
    exactFirst(a, b) ||
    (request.policy === 'cost'
      ? a.estimateMicros - b.estimateMicros || a.backend.capabilities.stabilityRank - b.backend.capabilities.stabilityRank
      : a.backend.capabilities.stabilityRank - b.backend.capabilities.stabilityRank || a.estimateMicros - b.estimateMicros);
  const healthy = suitable.filter((c) => !request.isOpen(c.backend.id)).sort(byPolicy);
  const tripped = suitable.filter((c) => request.isOpen(c.backend.id)).sort(byPolicy);
  const candidates = [...healthy, ...tripped];
  const first = candidates[0]!;

  // When exactness narrowed the field, the reason counts the backends that make the asked length.
  const exactCount = suitable.filter((c) => isExact(c, request)).length;
  const narrowed = isExact(first, request) && exactCount < suitable.length;
  const reason: RouteReason = {
    kind: 'policy',
    backendName: first.backend.capabilities.displayName,
    policy: request.policy,
    ...((request.characters.length > 0 || narrowed) && { pool: narrowed ? exactCount : suitable.length }),
    characters: request.characters.map((c) => `@${c.name}`),
    ...(narrowed && request.seconds !== undefined && { exactSeconds: request.seconds }),
    skipped: healthy.length > 0 ? tripped.map((c) => c.backend.capabilities.displayName) : [],
  };
  return { candidates, reason, duration: durationNotice(first, suitable, request, false) };
}

function isExact(candidate: Candidate, request: Pick<RouteRequest, 'seconds'>): boolean {
  return request.seconds === undefined || candidate.seconds === request.seconds;
}

function durationNotice(chosen: Candidate, suitable: Candidate[], request: RouteRequest, forced: boolean): DurationNotice | undefined {
  if (request.seconds === undefined) return undefined;
  const cheapest = (list: Candidate[]) => [...list].sort((a, b) => a.estimateMicros - b.estimateMicros)[0];
  const base = {
    askedSeconds: request.seconds,
    madeSeconds: chosen.seconds,
    backendName: chosen.backend.capabilities.displayName,
    estimateMicros: chosen.estimateMicros,
    characterNames: request.characters.map((c) => `@${c.name}`).join(' and '),
    policy: request.policy,
    forced,
  };
  if (!isExact(chosen, request)) {
    const exact = cheapest(suitable.filter((c) => c !== chosen && isExact(c, request)));
    return {
      ...base,
      ...(exact && { exact: { backendId: exact.backend.id, backendName: exact.backend.capabilities.displayName, estimateMicros: exact.estimateMicros } }),
    };
  }
  if (forced || request.policy !== 'cost') return undefined;
  // Exactness outranked the cost policy: say what the other length would have cost.
  const cheaper = cheapest(suitable.filter((c) => c.estimateMicros < chosen.estimateMicros));
  return cheaper ? { ...base, cheaper: { backendId: cheaper.backend.id, seconds: cheaper.seconds, estimateMicros: cheaper.estimateMicros } } : undefined;
}
