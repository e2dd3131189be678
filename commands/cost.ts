import type { CommandSpec } from './spec.js';

export const cost: CommandSpec = {
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
};
