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
