/**
 * `/settings`: per-channel defaults, who may spend, and where 80% warnings go.
 * Changing them is for admins (the spec's `permission`); everyone can read them.
 */
import { usdToMicros } from '../src/core/money.js';
import type { NamedGroup } from '../src/core/tenant-settings.js';
import type { Runs } from './command-module.js';
import { ADMIN_ONLY, type CommandSpec } from './spec.js';
import { approveAboveOption, policyOption } from './team-rule-options.js';

/**
 * A role, user group, member or channel as each platform writes it in text: Discord `<@&id>` (role), `<@id>`
 * (member), `<#id>` (channel); Slack `<!subteam^ID|@name>`, `<@U…>`, `<#C…|name>`; on the console a plain `@name`.
 */
export function namedRefs(text: string | undefined): NamedGroup[] {
  if (!text) return [];
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((word) => {
      const slack = /^<[!@#](?:subteam\^)?([A-Z0-9]+)(?:\|([^>]*))?>$/.exec(word);
      if (slack) return { id: slack[1]!, name: slack[2] ? slack[2] : word };
      const discord = /^<(?:@&|@!?|#)(\d+)>$/.exec(word);
      if (discord) return { id: discord[1]!, name: word };
      const plain = word.replace(/^[@#]/, '');
      return { id: plain, name: plain };
    });
}

const channelOptions = [
  {
    name: 'orientation',
    type: 'string',
    choices: [
      { value: 'landscape', label: { en: 'Landscape (16:9)', ko: '가로 (16:9)' } },
      { value: 'portrait', label: { en: 'Portrait (9:16)', ko: '세로 (9:16)' } },
    ],
    description: { en: 'Default frame orientation here', ko: '이 채널의 기본 화면 방향' },
  },
  { name: 'seconds', type: 'integer', min: 1, max: 20, description: { en: 'Default length in seconds here', ko: '이 채널의 기본 길이(초)' } },
  {
    name: 'resolution',
    type: 'string',
    choices: [
      { value: '720p', label: { en: '720p', ko: '720p' } },
      { value: '1080p', label: { en: '1080p (costs more)', ko: '1080p (더 비쌈)' } },
      { value: '4k', label: { en: '4K (costs most)', ko: '4K (가장 비쌈)' } },
    ],
    description: { en: 'Default resolution here', ko: '이 채널의 기본 해상도' },
  },
  { name: 'backend', type: 'string', maxLength: 32, autocomplete: 'backend', placeholder: 'id|provider', description: { en: 'Default backend or provider here', ko: '이 채널의 기본 백엔드' } },
  policyOption({ en: 'Routing policy here', ko: '이 채널의 라우팅 정책' }),
  approveAboveOption({ en: 'Videos estimated above this many USD here wait for an admin', ko: '이 금액(USD)을 넘는 동영상은 관리자 승인 필요' }),
] as const;

export const spec = {
  name: 'settings',
  description: { en: "The team's and this channel's settings", ko: '팀과 이 채널의 설정' },
  permission: 'member',
  spendsMoney: false,
  examples: ['/settings show', '/settings channel --orientation portrait --seconds 8', '/settings access --allow @video-makers', '/settings alerts --channel #budget'],
  subcommands: [
    {
      name: 'show',
      description: { en: "Show the team's and this channel's settings", ko: '팀과 이 채널의 설정 보기' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/settings show'],
      options: [],
    },
    {
      name: 'channel',
      description: { en: "Set this channel's defaults (admins)", ko: '이 채널의 기본값 설정 (관리자)' },
      ...ADMIN_ONLY,
      examples: ['/settings channel --orientation portrait --seconds 8', '/settings channel --approve-above 2'],
      options: channelOptions,
    },
    {
      name: 'access',
      description: { en: 'Who may make videos, and who may approve (admins)', ko: '동영상을 만들고 승인할 수 있는 사람 (관리자)' },
      ...ADMIN_ONLY,
      examples: ['/settings access --allow @video-makers', '/settings access --block @mallory', '/settings access --everyone'],
      options: [
        { name: 'allow', type: 'string', maxLength: 500, description: { en: 'Only these roles or user groups may make videos', ko: '이 역할/그룹만 동영상 생성 가능' } },
        { name: 'block', type: 'user', description: { en: 'This member may not make videos', ko: '이 구성원은 동영상 생성 불가' } },
        { name: 'unblock', type: 'user', description: { en: 'Lift a block', ko: '차단 해제' } },
        { name: 'approvers', type: 'string', maxLength: 500, description: { en: 'These roles or user groups may also approve', ko: '이 역할/그룹도 승인 가능' } },
        { name: 'everyone', type: 'boolean', description: { en: 'Let every member make videos again', ko: '모든 구성원이 다시 생성 가능' } },
      ],
    },
    {
      name: 'alerts',
      description: { en: 'Where 80% budget warnings also go (admins)', ko: '예산 80% 경고를 보낼 채널 (관리자)' },
      ...ADMIN_ONLY,
      examples: ['/settings alerts --channel #budget'],
      options: [{ name: 'channel', type: 'string', required: true, maxLength: 100, description: { en: 'The channel, e.g. #budget', ko: '채널 (예: #budget)' } }],
    },
  ],
} as const satisfies CommandSpec;

export const run: Runs<typeof spec> = {
  async show({ studio, actor }) {
    return { kind: 'settings', changed: false, view: await studio.team.show(actor) };
  },
  async channel({ studio, actor }, o) {
    const approve = o['approve-above'];
    const defaults = {
      orientation: o.orientation,
      seconds: o.seconds,
      resolution: o.resolution,
      backend: o.backend,
      policy: o.policy,
      approveAboveMicros: approve === undefined ? undefined : usdToMicros(approve.toFixed(6)),
    };
    return { kind: 'settings', changed: true, view: await studio.team.setChannel(actor, undefined, defaults) };
  },
  async access({ studio, actor }, o) {
    const change = {
      allow: namedRefs(o.allow),
      block: namedRefs(o.block),
      unblock: namedRefs(o.unblock),
      approvers: namedRefs(o.approvers),
      allowEveryone: o.everyone === true,
    };
    return { kind: 'settings', changed: true, view: await studio.team.setAccess(actor, change) };
  },
  async alerts({ studio, actor }, o) {
    const [channel] = namedRefs(o.channel);
    return { kind: 'settings', changed: true, view: await studio.team.setAlerts(actor, channel!.id) };
  },
};
