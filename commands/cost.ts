/** `/cost`: what the team and each member spent, against the caps. */
import { memberId, type Runs } from './command-module.js';
import type { CommandSpec } from './spec.js';

export const spec = {
  name: 'cost',
  description: { en: 'Spend by user and backend, against the caps', ko: '사용자·백엔드별 지출과 한도' },
  permission: 'member',
  spendsMoney: false,
  examples: ['/cost', '/cost --period last-month', '/cost --user @alice', '/cost --export csv'],
  options: [
    {
      name: 'period',
      type: 'string',
      choices: [
        { value: 'this-month', label: { en: 'This month', ko: '이번 달' } },
        { value: 'last-month', label: { en: 'Last month', ko: '지난 달' } },
      ],
      description: { en: 'Which month', ko: '기간' },
    },
    {
      name: 'export',
      type: 'string',
      choices: [{ value: 'csv', label: { en: "CSV of the month's jobs", ko: '이번 달 작업 CSV' } }],
      description: { en: "Attach the month's jobs as a file", ko: '월간 작업을 파일로 첨부' },
    },
    {
      name: 'user',
      type: 'user',
      description: { en: 'Only this member', ko: '이 구성원만' },
    },
  ],
} as const satisfies CommandSpec;

export const run: Runs<typeof spec> = async (ctx, o) => {
  const period = o.period ?? 'this-month';
  const report = await ctx.studio.costReport(ctx.actor, { period, userId: memberId(ctx, o.user) });
  // The picture of the month goes with every /cost; the CSV when asked for. Vega is loaded on first use, never at
  // start: loaded before discord.js it breaks that library's start-up (test/media/spend-chart.test.ts).
  const { renderSpendChart } = await import('../src/media/spend-chart.js');
  const chart = await renderSpendChart(await ctx.studio.spending(ctx.actor, period), { backendNames: report.backendNames });
  const csv = o.export === 'csv' ? await ctx.studio.exportCsv(ctx.actor, period) : undefined;
  return {
    kind: 'cost',
    report,
    chart: { fileName: `spend-${report.month}.png`, bytes: chart },
    ...(csv && { csv: { fileName: `jobs-${csv.month}.csv`, text: csv.csv, rows: csv.rows } }),
  };
};
