/**
 * Backend capabilities: everything that differs between providers, as data
 * (each backend in src/backends declares its own; the router and pricing read them).
 */
import type { Micros } from './money.js';
import type { Orientation, Resolution, Sound } from './types.js';

/** How `@name` is written in a prompt for a backend. */
export type MentionStyle =
  /** The character's registered name verbatim; ids travel separately (OpenAI `characters:[{id}]`). */
  | { kind: 'name' }
  /** A provider id inline, e.g. `@{id}` → `@char_abc` (the seed's character API). */
  | { kind: 'binding-id'; template: string }
  /** A positional tag, e.g. `@Element{n}` or `<<<element_{n}>>>` (n counts from 1). */
  | { kind: 'indexed'; template: string }
  /** No tag syntax: the character is described in words (Veo). */
  | { kind: 'description' };

export type CharacterBindingKind = 'provider-character' | 'element' | 'reference-images';

/**
 * What one resolution costs with sound (`on`) and without (`off`). A missing price means the
 * backend cannot make that: a backend with only `on` always makes sound, one with only `off`
 * never does. This is the one declaration of a backend's audio support.
 */
export type SoundPrices = Partial<Record<Sound, Micros>>;

export type PriceModel =
  | { kind: 'per-second'; microsPerSecond: Partial<Record<Resolution, SoundPrices>> }
  | { kind: 'per-video'; micros: Partial<Record<Resolution, SoundPrices>> };

export interface BackendCapabilities {
  displayName: string;
  /**
   * The provider behind this backend (`fal`, `gemini`, `kling`, …): `--backend fal` picks the
   * cheapest of its backends that can take the request. Defaults to the backend id.
   */
  provider?: string;
  /** One honest line on the provider's real-world status, shown in help and /cost. */
  statusNote: string;
  /** Rank under the `stability` policy: lower is tried first (official APIs before resellers). */
  stabilityRank: number;
  characters: {
    /** What this backend needs to render a character; undefined when it cannot hold characters. */
    binding: CharacterBindingKind | undefined;
    max: number;
    mention: MentionStyle;
    /**
     * The provider creates its character by fetching the clip from a URL (the
     * seed's character API takes `video_url`), so a clip held only by the bot
     * needs PUBLIC_URL to be reachable.
     */
    needsFetchableClip?: boolean;
  };
  /** Allowed durations in seconds, ascending. */
  seconds: number[];
  /** Output size per orientation and resolution, e.g. `1280x720`. A missing entry means unsupported. */
  sizes: Record<Orientation, Partial<Record<Resolution, string>>>;
  price: PriceModel;
  progress: 'percent' | 'queue-position' | 'none';
  /**
   * How long a render usually takes on this backend, in seconds: with no percent
   * from the provider, the status shows time elapsed against it, marked as an estimate.
   */
  typicalRenderSeconds?: number;
  completion: 'poll' | 'webhook';
  /** How long a result URL lives; results are copied at once regardless. */
  resultUrlTtlSeconds: number;
  remix: boolean;
  cancel: boolean;
  /** Accepts an input image as the first frame / reference. */
  imageInput: boolean;
  /**
   * Whether a provider-side moderation block is billed. OpenAI-shaped APIs do not
   * bill failed jobs; per-request resellers usually keep the fee.
   */
  chargesForModeratedJobs: boolean;
}
