/**
 * Money is integer micro-dollars everywhere (1 USD = 1_000_000 µ$). Floats never
 * touch a balance: a per-second price of $0.10 times 8 s is 800_000 µ$, exactly.
 */
export type Micros = number;

export const MICROS_PER_USD = 1_000_000;

/** Parses a user- or env-supplied dollar amount ("12", "12.5", "0.000001") exactly. */
export function usdToMicros(usd: string | number): Micros {
  const text = typeof usd === 'number' ? usd.toFixed(6) : usd.trim().replace(/^\$/, '');
  const match = /^(\d{1,9})(?:\.(\d{0,6})\d*)?$/.exec(text);
  if (!match) throw new RangeError(`not a dollar amount: ${JSON.stringify(usd)}`);
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(6, '0'));
  return whole * MICROS_PER_USD + fraction;
}

/** "$1.23" for display; sub-cent amounts keep enough digits to be non-zero. */
export function formatUsd(micros: Micros): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_USD);
  const fraction = abs % MICROS_PER_USD;
  let digits = String(fraction).padStart(6, '0');
  // Show cents; keep further digits only when they carry value (e.g. $0.0042).
  digits = digits.replace(/0+$/, '');
  if (digits.length < 2) digits = digits.padEnd(2, '0');
  return `${sign}$${whole.toLocaleString('en-US')}.${digits}`;
}

export function assertMicros(value: number, what: string): Micros {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} must be an integer number of micro-dollars, got ${value}`);
  return value;
}
