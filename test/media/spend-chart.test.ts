/**
 * The spending chart renders offline to a real PNG with the bundled font, for
 * a month with eight backends, the cap line and today marked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEntry } from '../../src/core/audit-log.js';
import { spendSeries } from '../../src/core/month-report.js';
import { renderSpendChart, spendChartSpec } from '../../src/media/spend-chart.js';

const BACKENDS = ['openai', 'apiyi', 'fal-kling-o3', 'fal-seedance2', 'fal-veo31', 'fal-wan27', 'gemini', 'kling'];
const names = Object.fromEntries(BACKENDS.map((b) => [b, `${b} (a long display name)`]));

function month(): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let day = 1; day <= 17; day++) {
    for (const [i, backend] of BACKENDS.entries()) {
      entries.push({ at: Date.UTC(2026, 11, day, 12), action: 'settle', by: { id: 'bot', name: 'the bot' }, backend, spentMicros: 50_000 * (i + 1), detail: '' });
    }
  }
  return entries;
}

describe('spending chart', () => {
  const series = spendSeries('2026-12', month(), 50_000_000, Date.UTC(2026, 11, 17, 15));

  it('adds up each backend by day, cumulatively, and knows today', () => {
    assert.equal(series.days.length, 31);
    assert.equal(series.todayIndex, 16);
    assert.equal(series.backends.length, 8);
    const openai = series.cumulative[series.backends.indexOf('openai')]!;
    assert.equal(openai[0], 50_000);
    assert.equal(openai[16], 17 * 50_000);
  });

  it('states the currency, draws the cap and today, and lays the 8-backend legend out in columns', () => {
    const spec = JSON.stringify(spendChartSpec(series, { backendNames: names }));
    assert.match(spec, /cumulative, in USD/);
    assert.match(spec, /team cap \$50\.00/);
    assert.match(spec, /"label":"today"/);
    assert.match(spec, /"columns":2/);
    assert.match(spec, /"labelOverlap":"greedy"/);
  });

  it('renders a PNG', async () => {
    const png = await renderSpendChart(series, { backendNames: names });
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(png.length > 10_000, `${png.length} bytes`);
    // Width and height from the IHDR chunk: drawn at twice the layout size.
    assert.ok(png.readUInt32BE(16) >= 1200 && png.readUInt32BE(20) >= 700, `${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`);
  });
});
