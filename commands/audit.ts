/** `/audit`: the latest entries of the team's audit trail, for admins. */
import { memberId, type Runs } from './command-module.js';
import { ADMIN_ONLY, type CommandSpec } from './spec.js';

export const spec = {
  name: 'audit',
  description: { en: 'Who moved money or changed the rules, latest first (admins)', ko: '돈과 규칙의 변경 기록, 최신순 (관리자)' },
  ...ADMIN_ONLY,
  examples: ['/audit', '/audit --limit 50', '/audit --user @alice'],
  options: [
    { name: 'limit', type: 'integer', min: 1, max: 100, description: { en: 'How many entries (default 20)', ko: '항목 수 (기본 20)' } },
    { name: 'user', type: 'user', description: { en: 'Only entries by or about this member', ko: '이 구성원 관련 항목만' } },
  ],
} as const satisfies CommandSpec;

export const run: Runs<typeof spec> = async (ctx, o) => ({
  kind: 'audit',
  entries: await ctx.studio.team.auditTrail(ctx.actor, { limit: o.limit ?? 20, userId: memberId(ctx, o.user) }),
});
