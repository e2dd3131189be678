/**
 * A month of money from the audit trail: the CSV of its jobs (`/cost --export
 * csv`) and the series behind the spending chart. Both read the money entries,
 * which add up to the ledger (audited-ledger.ts), so the CSV's charged and
 * official columns sum to exactly what `/cost` shows.
 */
import { MONEY_ACTIONS, type AuditEntry } from './audit-log.js';
import { MICROS_PER_USD, type Micros } from './money.js';
import type { JobRecord } from './types.js';

export const CSV_COLUMNS = ['id', 'time', 'member', 'channel', 'backend', 'seconds', 'estimate', 'charged', 'official price', 'state', 'approval'] as const;

/** Exact dollars, six decimals: a spreadsheet's sum equals the ledger's to the micro-dollar. */
export function csvUsd(micros: Micros): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / MICROS_PER_USD)}.${String(abs % MICROS_PER_USD).padStart(6, '0')}`;
}

/**
 * RFC 4180 quoting, and a leading `'` on text a spreadsheet would run as a
 * formula (OWASP "CSV Injection": cells starting with = + - @ tab or CR).
 */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function approvalText(job: JobRecord): string {
  const a = job.approval;
  if (!a) return '';
  if (!a.decision) return 'waiting';
  if (a.decision.outcome === 'expired') return 'expired';
  return `${a.decision.outcome} by ${a.decision.byName}`;
}

export interface MonthCsv {
  csv: string;
  rows: number;
  chargedMicros: Micros;
  officialMicros: Micros;
}

/** One row per job that moved money in the month; `jobs` holds the records the entries name. */
export function monthCsv(entries: readonly AuditEntry[], jobs: ReadonlyMap<string, JobRecord>): MonthCsv {
  const order: string[] = [];
  const charged = new Map<string, { spent: Micros; official: Micros }>();
  for (const e of entries) {
    if (!e.jobId || !MONEY_ACTIONS.has(e.action)) continue;
    if (!charged.has(e.jobId)) {
      order.push(e.jobId);
      charged.set(e.jobId, { spent: 0, official: 0 });
    }
    const line = charged.get(e.jobId)!;
    line.spent += e.spentMicros ?? 0;
    line.official += e.officialMicros ?? 0;
  }
  const lines = [CSV_COLUMNS.join(',')];
  let chargedMicros = 0;
  let officialMicros = 0;
  for (const id of order) {
    const job = jobs.get(id);
    const money = charged.get(id)!;
    chargedMicros += money.spent;
    officialMicros += money.official;
    const cells: (string | number)[] = job
      ? [
          id,
          new Date(job.createdAt).toISOString(),
          job.requesterName,
          job.place ? (job.place.kind === 'dm' ? 'DM' : job.place.id) : '',
          job.backend,
          job.seconds,
          csvUsd(job.estimateMicros),
          csvUsd(money.spent),
          csvUsd(money.official),
          job.state,
          approvalText(job),
        ]
      : [id, '', '', '', '', '', '', csvUsd(money.spent), csvUsd(money.official), 'removed', ''];
    lines.push(cells.map(csvCell).join(','));
  }
  return { csv: `${lines.join('\r\n')}\r\n`, rows: order.length, chargedMicros, officialMicros };
}

/** Cumulative spend per backend at the end of each day of the month, for the chart. */
export interface SpendSeries {
  month: string;
  /** `2026-12-01` … the last day of the month. */
  days: string[];
  backends: string[];
  /** cumulative[backendIndex][dayIndex], micro-dollars. */
  cumulative: Micros[][];
  capMicros: Micros;
  /** Index of today in `days`, when the month is the current one. */
  todayIndex: number | undefined;
}

export function spendSeries(month: string, entries: readonly AuditEntry[], capMicros: Micros, now: number): SpendSeries {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const dayCount = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const days = Array.from({ length: dayCount }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
  const daily = new Map<string, Micros[]>();
  for (const e of entries) {
    if (e.action !== 'settle' || !e.spentMicros) continue;
    const backend = e.backend ?? 'unknown';
    const day = new Date(e.at).getUTCDate() - 1;
    if (!daily.has(backend)) daily.set(backend, new Array<Micros>(dayCount).fill(0));
    daily.get(backend)![Math.min(Math.max(day, 0), dayCount - 1)]! += e.spentMicros;
  }
  const backends = [...daily.keys()].sort();
  const cumulative = backends.map((b) => {
    let sum = 0;
    return daily.get(b)!.map((v) => (sum += v));
  });
  const today = new Date(now).toISOString().slice(0, 10);
  const todayIndex = days.indexOf(today);
  return { month, days, backends, cumulative, capMicros, todayIndex: todayIndex >= 0 ? todayIndex : undefined };
}
