/**
 * The month's spending as a PNG for `/cost`: cumulative spend by day, stacked
 * by backend, the team cap as a line and today marked. Declared in Vega-Lite
 * (https://vega.github.io/vega-lite/docs/), laid out by Vega's headless SVG
 * renderer and rasterised by resvg, so it renders on the server with no
 * browser, no canvas build and no network. Text is set in DejaVu Sans, shipped
 * by the dejavu-fonts-ttf package: a chart looks the same on a slim container
 * with no system fonts.
 */
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { formatUsd, MICROS_PER_USD } from '../core/money.js';
import type { SpendSeries } from '../core/month-report.js';

const require = createRequire(import.meta.url);
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => require.resolve(`dejavu-fonts-ttf/ttf/${f}`));
const FONT = 'DejaVu Sans';

/** Wide enough for a Discord embed or a Slack preview, drawn at twice the size so it stays sharp. */
const WIDTH = 640;
const HEIGHT = 300;

export interface ChartLabels {
  /** Display name per backend id (legend). */
  backendNames: Record<string, string>;
  currency?: string;
}

function usd(micros: number): number {
  return micros / MICROS_PER_USD;
}

/** The Vega-Lite spec; exported so a test can check what is drawn without reading pixels. */
export function spendChartSpec(series: SpendSeries, labels: ChartLabels): TopLevelSpec {
  // Days after today have not happened: the areas stop at today, the axis still shows the whole month.
  const lastDay = series.todayIndex ?? series.days.length - 1;
  const values = series.backends.flatMap((backend, b) =>
    series.days.slice(0, lastDay + 1).map((day, d) => ({ day, backend: labels.backendNames[backend] ?? backend, usd: usd(series.cumulative[b]![d]!) })),
  );
  const total = series.cumulative.reduce((sum, line) => sum + (line[lastDay] ?? 0), 0);
  const top = Math.max(series.capMicros, total) * 1.08 || 1;
  const currency = labels.currency ?? 'USD';
  const x = { field: 'day', type: 'temporal' as const, scale: { domain: [series.days[0]!, series.days.at(-1)!] } };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: WIDTH,
    height: HEIGHT,
    padding: 16,
    background: 'white',
    title: {
      text: `Spend in ${monthName(series.month)}, cumulative, in ${currency}`,
      subtitle: `${formatUsd(total)} of the ${formatUsd(series.capMicros)} team cap`,
      anchor: 'start',
      fontSize: 18,
      subtitleFontSize: 14,
    },
    config: {
      font: FONT,
      axis: { labelFontSize: 13, titleFontSize: 13, labelOverlap: 'greedy', labelColor: '#333', titleColor: '#333' },
      legend: { labelFontSize: 13, titleFontSize: 13, labelLimit: 260 },
      view: { stroke: null },
    },
    layer: [
      {
        data: { values },
        mark: { type: 'area', interpolate: 'monotone', opacity: 0.9 },
        encoding: {
          x: { ...x, title: null, axis: { format: '%b %-d', tickCount: 8, grid: false } },
          y: {
            field: 'usd',
            type: 'quantitative',
            stack: 'zero',
            title: `${currency} spent`,
            scale: { domain: [0, usd(top)], nice: false },
            axis: { format: '$,.2f', tickCount: 5 },
          },
          color: {
            field: 'backend',
            type: 'nominal',
            scale: { scheme: 'tableau10' },
            legend: { title: 'Backend', orient: 'bottom', direction: 'horizontal', columns: 2, symbolType: 'square' },
          },
          order: { field: 'backend' },
        },
      },
      {
        data: { values: [{ cap: usd(series.capMicros), label: `team cap ${formatUsd(series.capMicros)}` }] },
        layer: [
          { mark: { type: 'rule', color: '#c0392b', strokeWidth: 2, strokeDash: [8, 4] }, encoding: { y: { field: 'cap', type: 'quantitative' } } },
          {
            mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -4, x: WIDTH, color: '#c0392b', fontSize: 13, fontWeight: 'bold' },
            encoding: { y: { field: 'cap', type: 'quantitative' }, text: { field: 'label' } },
          },
        ],
      },
      ...(series.todayIndex === undefined
        ? []
        : [
            {
              data: { values: [{ day: series.days[series.todayIndex]!, label: 'today' }] },
              layer: [
                { mark: { type: 'rule', color: '#555', strokeWidth: 1.5, strokeDash: [3, 3] }, encoding: { x } },
                { mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, y: 4, color: '#555', fontSize: 13 }, encoding: { x, text: { field: 'label' } } },
              ],
            },
          ]),
    ],
  };
  return spec as unknown as TopLevelSpec;
}

/** Renders the chart to PNG bytes. */
export async function renderSpendChart(series: SpendSeries, labels: ChartLabels): Promise<Buffer> {
  const view = new vega.View(vega.parse(compile(spendChartSpec(series, labels)).spec), { renderer: 'none' });
  const svg = await view.toSVG(2);
  view.finalize();
  const png = new Resvg(svg, {
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT },
    background: 'white',
  }).render();
  return png.asPng();
}

/** `2026-12` → `December 2026`. */
function monthName(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
}
