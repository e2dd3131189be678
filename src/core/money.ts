/**
 * Money is integer micro-dollars everywhere (1 USD = 1_000_000 µ$). Floats never
 * touch a balance: a per-second price of $0.10 times 8 s is 800_000 µ$, exactly.
 */
export type Micros = number;

export const MICROS_PER_USD = 1_000_000;
const MICROS_PER_CENT = 10_000;

/** Parses a user- or env-supplied dollar amount ("12", "12.5", "0.000001") exactly. */
export function usdToMicros(usd: string | number): Micros {
  const text = typeof usd === 'number' ? usd.toFixed(6) : usd.trim().replace(/^\$/, '');
  const match = /^(\d{1,9})(?:\.(\d{0,6})\d*)?$/.exec(text);
  if (!match) throw new RangeError(`not a dollar amount: ${JSON.stringify(usd)}`);
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(6, '0'));
  return whole * MICROS_PER_USD + fraction;
}

/**
 * "$1.23" for display: users see cents, rounded half up ($0.504 → $0.50,
 * $0.505 → $0.51). Only the display rounds; balances, reservations and sums
 * stay exact in micro-dollars, so a total is rounded once, never summed from
 * rounded parts. A non-zero amount under half a cent reads "<$0.01", not "$0.00".
 */
export function formatUsd(micros: Micros): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  if (abs > 0 && abs < MICROS_PER_CENT / 2) return `${sign}<$0.01`;
  const cents = Math.floor((abs + MICROS_PER_CENT / 2) / MICROS_PER_CENT);
  const whole = Math.floor(cents / 100);
  // Thousands grouped by hand: toLocaleString builds a number formatter per call (a tenth of a millisecond).
  return `${sign}$${String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${String(cents % 100).padStart(2, '0')}`;
}

export function assertMicros(value: number, what: string): Micros {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be an integer number of micro-dollars, got ${value}`);
  return value;
}
