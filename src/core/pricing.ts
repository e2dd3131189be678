/**
 * Prices per backend come from each backend's declared price model (overridable
 * by config); estimates and settlements are integer micro-dollars.
 */
import type { Micros } from './money.js';
import type { BackendCapabilities, PriceModel, Quality } from './types.js';

/** Length used when the user names none: long enough to show a motion, cheap enough to iterate. */
export const DEFAULT_SECONDS = 8;

/** The allowed duration nearest to the request; ties go to the shorter (cheaper) one. */
export function fitSeconds(requested: number | undefined, allowed: readonly number[]): number {
  const want = requested ?? DEFAULT_SECONDS;
  let best = allowed[0]!;
  for (const s of allowed) {
    if (Math.abs(s - want) < Math.abs(best - want)) best = s;
  }
  return best;
}

export function priceFor(model: PriceModel, seconds: number, quality: Quality): Micros {
  switch (model.kind) {
    case 'per-second':
      return model.microsPerSecond[quality] * seconds;
    case 'per-video':
      return model.micros[quality];
  }
}

export function estimateFor(capabilities: BackendCapabilities, seconds: number, quality: Quality): Micros {
  return priceFor(capabilities.price, seconds, quality);
}

/** A partial price list from configuration; missing entries keep the backend's defaults. */
export interface PriceOverride {
  kind?: PriceModel['kind'];
  microsPerSecond?: Partial<Record<Quality, Micros>>;
  micros?: Partial<Record<Quality, Micros>>;
}

/**
 * Merges an operator's price override into a backend's default price model.
 * Switching the model kind (per-second → per-video) needs both qualities,
 * because there is no default to fall back on.
 */
export function applyPriceOverride(base: PriceModel, override: PriceOverride | undefined): PriceModel {
  if (!override) return base;
  const kind = override.kind ?? base.kind;
  const pick = (
    given: Partial<Record<Quality, Micros>> | undefined,
    fallback: Record<Quality, Micros> | undefined,
  ): Record<Quality, Micros> => {
    const standard = given?.standard ?? fallback?.standard;
    const high = given?.high ?? fallback?.high;
    if (standard === undefined || high === undefined) {
      throw new RangeError(`price override for a ${kind} model needs both standard and high prices`);
    }
    for (const v of [standard, high]) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`price must be whole micro-dollars, got ${v}`);
    }
    return { standard, high };
  };
  if (kind === 'per-second') {
    return { kind, microsPerSecond: pick(override.microsPerSecond, base.kind === 'per-second' ? base.microsPerSecond : undefined) };
  }
  return { kind, micros: pick(override.micros, base.kind === 'per-video' ? base.micros : undefined) };
}
