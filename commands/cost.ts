/** `/cost`: what the team and each member spent, against the caps. */
import { memberId, type Runs } from './command-module.js';
import type { CommandSpec } from './spec.js';

export const spec = {
  name: 'cost',
  description: { en: 'Spend by user and backend, against the caps', ko: '사용자·백엔드별 지출과 한도' },
  permission: 'member',
  spendsMoney: false,
  examples: ['/cost', '/cost --period last-month', '/cost --user @alice'],
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
      name: 'user',
      type: 'user',
      description: { en: 'Only this member', ko: '이 구성원만' },
    },
  ],
} as const satisfies CommandSpec;

export const run: Runs<typeof spec> = async (ctx, o) => ({
  kind: 'cost',
  report: await ctx.studio.costReport(ctx.actor, { period: o.period ?? 'this-month', userId: memberId(ctx, o.user) }),
});
