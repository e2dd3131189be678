/**
 * Prices per backend come from each backend's declared price model (overridable
 * by config), per resolution and per sound; estimates and settlements are
 * integer micro-dollars.
 */
import type { Micros } from './money.js';
import type { BackendCapabilities, PriceModel, SoundPrices } from './capabilities.js';
import { RESOLUTIONS, type Resolution, type Sound } from './types.js';

/** Length used when the user names none: long enough to show a motion, cheap enough to iterate. */
export const DEFAULT_SECONDS = 8;

/** The resolution a request gets when it names none: every backend makes it, and it is the cheapest. */
export const DEFAULT_RESOLUTION: Resolution = '720p';

/** The allowed duration nearest to the request; ties go to the shorter (cheaper) one. */
export function fitSeconds(requested: number | undefined, allowed: readonly number[]): number {
  const want = requested ?? DEFAULT_SECONDS;
  let best = allowed[0]!;
  for (const s of allowed) {
    if (Math.abs(s - want) < Math.abs(best - want)) best = s;
  }
  return best;
}

function tableOf(model: PriceModel): Partial<Record<Resolution, SoundPrices>> {
  return model.kind === 'per-second' ? model.microsPerSecond : model.micros;
}

/** The rate for one resolution and sound, or undefined when the backend cannot make it. */
export function rateOf(model: PriceModel, resolution: Resolution, audio: Sound): Micros | undefined {
  return tableOf(model)[resolution]?.[audio];
}

export function priceFor(model: PriceModel, seconds: number, resolution: Resolution, audio: Sound): Micros {
  const rate = rateOf(model, resolution, audio);
  if (rate === undefined) throw new RangeError(`no ${resolution} price ${audio === 'on' ? 'with' : 'without'} sound`);
  return model.kind === 'per-second' ? rate * seconds : rate;
}

export function estimateFor(capabilities: BackendCapabilities, seconds: number, resolution: Resolution, audio: Sound): Micros {
  return priceFor(capabilities.price, seconds, resolution, audio);
}

/** The same video at the reference backend's price; where it cannot make that sound, its other one; 0 where it has no such resolution. */
export function referencePriceOf(reference: BackendCapabilities | undefined, seconds: number, resolution: Resolution, audio: Sound): Micros {
  const sound = reference && soundFor(reference, resolution, audio, false);
  return reference && sound ? estimateFor(reference, seconds, resolution, sound) : 0;
}

/** What a backend can do about sound, read from its prices: `on`, `off`, or both. */
export function soundsOf(capabilities: BackendCapabilities): Sound[] {
  const table = tableOf(capabilities.price);
  return (['off', 'on'] as const).filter((s) => RESOLUTIONS.some((r) => table[r]?.[s] !== undefined && hasSize(capabilities, r)));
}

/** The resolutions a backend makes in some orientation at some price. */
export function resolutionsOf(capabilities: BackendCapabilities): Resolution[] {
  const table = tableOf(capabilities.price);
  return RESOLUTIONS.filter((r) => hasSize(capabilities, r) && (table[r]?.on !== undefined || table[r]?.off !== undefined));
}

function hasSize(capabilities: BackendCapabilities, resolution: Resolution): boolean {
  return capabilities.sizes.landscape[resolution] !== undefined || capabilities.sizes.portrait[resolution] !== undefined;
}

/**
 * The sound a backend makes for a request: the one wanted when it can; otherwise, unless the
 * user insisted, the other one it can make. Undefined when it can make neither at this resolution.
 */
export function soundFor(capabilities: BackendCapabilities, resolution: Resolution, wanted: Sound, insisted: boolean): Sound | undefined {
  if (rateOf(capabilities.price, resolution, wanted) !== undefined) return wanted;
  if (insisted) return undefined;
  const other: Sound = wanted === 'on' ? 'off' : 'on';
  return rateOf(capabilities.price, resolution, other) !== undefined ? other : undefined;
}

/**
 * A partial price list from configuration (`PRICE_OVERRIDES`): per resolution, a price with
 * sound (`on`), without (`off`), or for whichever the backend declares there (`any`).
 */
export type PriceOverride = Partial<Record<Resolution, Partial<Record<Sound | 'any', Micros>>>>;

/**
 * Merges an operator's price override into a backend's default price model. `any` replaces
 * each sound the backend prices at that resolution (or, where it prices none there, each sound
 * it makes at all), so an always-sound backend's override stays a price with sound.
 */
export function applyPriceOverride(base: PriceModel, override: PriceOverride | undefined): PriceModel {
  if (!override) return base;
  const table: Partial<Record<Resolution, SoundPrices>> = structuredClone(tableOf(base));
  const everywhere = (['off', 'on'] as const).filter((s) => RESOLUTIONS.some((r) => table[r]?.[s] !== undefined));
  for (const resolution of RESOLUTIONS) {
    const given = override[resolution];
    if (!given) continue;
    const prices: SoundPrices = { ...table[resolution] };
    const declared = (['off', 'on'] as const).filter((s) => prices[s] !== undefined);
    for (const [key, micros] of Object.entries(given) as [Sound | 'any', Micros][]) {
      if (!Number.isSafeInteger(micros) || micros < 0) throw new RangeError(`price must be whole micro-dollars, got ${micros}`);
      const targets = key === 'any' ? (declared.length > 0 ? declared : everywhere) : [key];
      for (const sound of targets) prices[sound] = micros;
    }
    table[resolution] = prices;
  }
  return base.kind === 'per-second' ? { kind: 'per-second', microsPerSecond: table } : { kind: 'per-video', micros: table };
}
