/** `/budget`: the monthly caps and the routing policy; changing them is for admins (the spec's `permission`). */
import { usdToMicros } from '../src/core/money.js';
import { memberId, type Runs } from './command-module.js';
import { ADMIN_ONLY, type CommandSpec } from './spec.js';
import { approveAboveOption, policyOption } from './team-rule-options.js';

export const spec = {
  name: 'budget',
  description: { en: 'Monthly spending caps and routing policy', ko: '월 지출 한도와 라우팅 정책' },
  permission: 'member',
  spendsMoney: false,
  examples: ['/budget show', '/budget set 20', '/budget set 5 --user @alice', '/budget set --policy stability', '/budget set --audio on', '/budget set --approve-above 2'],
  subcommands: [
    {
      name: 'show',
      description: { en: 'Show caps, spend and what is left', ko: '한도와 남은 예산 보기' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/budget show'],
      options: [],
    },
    {
      name: 'set',
      description: { en: 'Set a monthly cap in USD (admins)', ko: '월 한도 설정 (관리자)' },
      ...ADMIN_ONLY,
      examples: ['/budget set 20', '/budget set 5 --user @alice', '/budget set --policy cost', '/budget set --audio on'],
      options: [
        {
          name: 'amount',
          type: 'number',
          positional: true,
          min: 0,
          max: 100000,
          decimals: 2,
          description: { en: 'Monthly cap in USD', ko: '월 한도 (USD)' },
        },
        {
          name: 'user',
          type: 'user',
          description: { en: 'Set this member’s cap instead of the team’s', ko: '팀 대신 이 구성원의 한도 설정' },
        },
        approveAboveOption({ en: 'Videos estimated above this many USD wait for an admin', ko: '이 금액(USD)을 넘는 동영상은 관리자 승인 필요' }),
        policyOption({ en: 'How to pick a backend when no character decides it', ko: '백엔드 선택 정책' }),
        {
          name: 'audio',
          type: 'string',
          choices: [
            { value: 'on', label: { en: 'With sound', ko: '소리 있음' } },
            { value: 'off', label: { en: 'Silent (cheaper)', ko: '무음 (더 저렴)' } },
          ],
          description: { en: 'Default sound for videos that do not say --audio', ko: '--audio를 지정하지 않은 동영상의 기본 소리' },
        },
      ],
    },
  ],
} as const satisfies CommandSpec;

export const run: Runs<typeof spec> = {
  async show({ studio, actor }) {
    return { kind: 'budget', changed: false, view: await studio.budget(actor) };
  },
  async set(ctx, o) {
    const micros = (usd: number | undefined) => (usd === undefined ? undefined : usdToMicros(usd.toFixed(6)));
    const change = { amountMicros: micros(o.amount), userId: memberId(ctx, o.user), policy: o.policy, audio: o.audio, approveAboveMicros: micros(o['approve-above']) };
    return { kind: 'budget', changed: true, view: await ctx.studio.setBudget(ctx.actor, change) };
  },
};
