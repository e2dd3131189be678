/** `/character`: the team's shared characters, named in prompts as `@name`. */
import { attachedFile, type Runs } from './command-module.js';
import type { CommandSpec } from './spec.js';

const nameOption = {
  name: 'name',
  type: 'string',
  required: true,
  positional: true,
  minLength: 2,
  maxLength: 32,
  autocomplete: 'character',
  description: { en: 'Character name', ko: '캐릭터 이름' },
} as const;

export const spec = {
  name: 'character',
  description: { en: 'Shared characters your videos can name with @name', ko: '@이름으로 부를 수 있는 공유 캐릭터' },
  permission: 'member',
  spendsMoney: false,
  examples: ['/character create mascot --video_url https://example.com/mascot.mp4'],
  subcommands: [
    {
      name: 'create',
      description: { en: 'Register a character from a short clip', ko: '짧은 영상으로 캐릭터 등록' },
      permission: 'member',
      spendsMoney: false,
      examples: [
        '/character create mascot --video ./mascot.mp4 --description "a round orange robot"',
        '/character create mascot --video_url https://example.com/mascot.mp4',
        '/character create mascot --from_job j_4k2m9x',
      ],
      options: [
        { ...nameOption, description: { en: 'Name to use as @name (2–32 letters, digits, _ or -)', ko: '@이름으로 쓸 이름 (2–32자)' }, autocomplete: undefined },
        {
          name: 'video',
          type: 'attachment',
          description: { en: 'A 2–4 second clip of the character', ko: '캐릭터가 나오는 2–4초 영상' },
        },
        {
          name: 'video_url',
          type: 'string',
          maxLength: 2000,
          description: { en: 'A link to the clip (http or https)', ko: '영상 링크 (http/https)' },
        },
        {
          name: 'from_job',
          type: 'string',
          maxLength: 40,
          autocomplete: 'job',
          description: { en: 'Use a video this bot made earlier', ko: '이전에 만든 동영상 사용' },
        },
        {
          name: 'description',
          type: 'string',
          freeText: true,
          maxLength: 300,
          description: { en: 'What the character looks like, in words', ko: '캐릭터 외형 설명' },
        },
      ],
    },
    {
      name: 'list',
      description: { en: "List this team's characters", ko: '팀 캐릭터 목록' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/character list'],
      options: [],
    },
    {
      name: 'show',
      description: { en: 'Show a character and where it is ready', ko: '캐릭터 정보 보기' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/character show mascot'],
      options: [nameOption],
    },
    {
      name: 'delete',
      description: { en: 'Delete a character (its owner or an admin)', ko: '캐릭터 삭제 (소유자 또는 관리자)' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/character delete mascot'],
      options: [nameOption],
    },
  ],
} as const satisfies CommandSpec;

export const run: Runs<typeof spec> = {
  async create(ctx, o) {
    const request = { name: o.name, description: o.description, clipPath: await attachedFile(ctx, o.video, 'video'), url: o.video_url, fromJob: o.from_job };
    return { kind: 'character', created: true, view: await ctx.studio.createCharacter(ctx.actor, request) };
  },
  async list({ studio, actor }) {
    return { kind: 'characters', characters: await studio.listCharacters(actor) };
  },
  async show({ studio, actor }, o) {
    return { kind: 'character', created: false, view: await studio.showCharacter(actor, o.name) };
  },
  async delete({ studio, actor }, o) {
    return { kind: 'character-deleted', character: await studio.deleteCharacter(actor, o.name) };
  },
};
