/** `/sora`: make, follow, cancel, remix and extend videos, and storyboards of several shots. */
import { elapsedProgress } from '../src/core/present.js';
import { attachedFile, surfaceOpener, type Runs } from './command-module.js';
import { parseShots } from './storyboard-shots.js';
import type { CommandSpec } from './spec.js';
import { audioOption, qualityOption, resolutionOf, resolutionOption, takesOption } from './video-options.js';

/** A job id typed after the subcommand (`/sora cancel j_4k2m9x`), completed from the team's recent jobs. */
const jobOption = {
  name: 'job',
  type: 'string',
  positional: true,
  maxLength: 40,
  autocomplete: 'job',
  description: { en: 'Job id', ko: '작업 ID' },
} as const;

const secondsOption = {
  name: 'seconds',
  type: 'integer',
  min: 1,
  max: 20,
  description: { en: 'Length in seconds (the backend picks the nearest it allows)', ko: '길이(초)' },
} as const;

const orientationOption = {
  name: 'orientation',
  type: 'string',
  choices: [
    { value: 'landscape', label: { en: 'Landscape (16:9)', ko: '가로 (16:9)' } },
    { value: 'portrait', label: { en: 'Portrait (9:16)', ko: '세로 (9:16)' } },
  ],
  description: { en: 'Frame orientation', ko: '화면 방향' },
} as const;

const backendOption = {
  name: 'backend',
  type: 'string',
  maxLength: 32,
  autocomplete: 'backend',
  placeholder: 'id|provider',
  description: {
    en: 'A backend id (fal-wan27), or a provider (fal, gemini) for its cheapest backend that fits',
    ko: '백엔드 id(fal-wan27) 또는 제공자(fal, gemini: 가장 저렴한 백엔드)',
  },
} as const;

export const spec = {
  name: 'sora',
  description: { en: 'Make AI videos with your team', ko: '팀과 함께 AI 동영상 만들기' },
  permission: 'member',
  spendsMoney: true,
  examples: ['/sora generate @mascot walks along a beach at sunset --seconds 8'],
  subcommands: [
    {
      name: 'generate',
      description: { en: 'Generate a video from a prompt', ko: '프롬프트로 동영상 생성' },
      permission: 'member',
      spendsMoney: true,
      examples: [
        '/sora generate @mascot walks along a beach at sunset',
        '/sora generate a paper boat drifting down a rainy street --seconds 8 --orientation portrait',
        '/sora generate @mascot sings in the rain --audio on --resolution 1080p',
        '/sora generate a red kite over the dunes --takes 3',
      ],
      options: [
        {
          name: 'prompt',
          type: 'string',
          required: true,
          positional: true,
          minLength: 3,
          maxLength: 2000,
          autocomplete: 'character-mention',
          description: {
            en: 'What happens in the video; name characters with @name',
            ko: '동영상 내용. 캐릭터는 @이름 으로 지정',
          },
        },
        secondsOption,
        orientationOption,
        resolutionOption,
        audioOption,
        qualityOption,
        backendOption,
        takesOption,
        {
          name: 'image',
          type: 'attachment',
          description: { en: 'An image to start from', ko: '시작 이미지' },
        },
      ],
    },
    {
      name: 'status',
      description: { en: 'Show a job, or your recent jobs', ko: '작업 상태 보기' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/sora status', '/sora status j_4k2m9x'],
      options: [jobOption],
    },
    {
      name: 'cancel',
      description: { en: 'Cancel a job and release its budget', ko: '작업 취소 및 예산 반환' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/sora cancel j_4k2m9x'],
      options: [{ ...jobOption, required: true }],
    },
    {
      name: 'approve',
      description: { en: 'Approve a video or storyboard that waits for an admin', ko: '관리자 승인을 기다리는 동영상/스토리보드 승인' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/sora approve j_4k2m9x', '/sora approve b_7hq2xz'],
      options: [{ ...jobOption, required: true }],
    },
    {
      name: 'deny',
      description: { en: 'Deny a video or storyboard that waits for an admin, releasing its budget', ko: '승인 대기 동영상/스토리보드 거절 (예산 반환)' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/sora deny j_4k2m9x --reason too long for a teaser'],
      options: [
        { ...jobOption, required: true },
        { name: 'reason', type: 'string', freeText: true, maxLength: 300, description: { en: 'Why, shown to the requester', ko: '요청자에게 보일 사유' } },
      ],
    },
    {
      name: 'remix',
      description: { en: 'Make a variation of a finished video', ko: '완성된 동영상 변형' },
      permission: 'member',
      spendsMoney: true,
      examples: ['/sora remix j_4k2m9x --prompt same scene, but at night', '/sora remix j_4k2m9x --takes 2 --prompt same scene, but at night'],
      options: [
        { ...jobOption, required: true, description: { en: 'The finished job to vary', ko: '변형할 완료된 작업' } },
        {
          name: 'prompt',
          type: 'string',
          required: true,
          freeText: true,
          minLength: 3,
          maxLength: 2000,
          autocomplete: 'character-mention',
          description: { en: 'What to change', ko: '바꿀 내용' },
        },
        takesOption,
      ],
    },
    {
      name: 'keep',
      description: { en: 'Keep one take of a request made with --takes as its result', ko: '--takes 요청의 테이크 하나를 결과로 선택' },
      permission: 'member',
      spendsMoney: false,
      examples: ['/sora keep j_4k2m9x'],
      options: [{ ...jobOption, required: true, description: { en: 'The take to keep', ko: '선택할 테이크' } }],
    },
    {
      name: 'storyboard',
      description: { en: 'Several shots, rendered together and joined into one video', ko: '여러 장면을 만들어 하나의 동영상으로 연결' },
      permission: 'member',
      spendsMoney: true,
      examples: [
        '/sora storyboard @mascot wakes up | @mascot makes coffee | @mascot walks to the beach --seconds 4',
        '/sora storyboard @mascot opens the door --seconds 8 | @mascot steps outside --continuous',
      ],
      options: [
        {
          name: 'shots',
          type: 'string',
          positional: true,
          segmentSeparator: '|',
          minLength: 3,
          maxLength: 4000,
          autocomplete: 'character-mention',
          description: {
            en: 'The shots, separated by | (up to 5); a shot may carry its own --seconds',
            ko: '| 로 구분한 장면들 (최대 5개). 장면마다 --seconds 지정 가능',
          },
        },
        { ...secondsOption, description: { en: 'Length of every shot that gives none, in seconds', ko: '각 장면의 길이(초)' } },
        orientationOption,
        resolutionOption,
        audioOption,
        qualityOption,
        backendOption,
        {
          name: 'continuous',
          type: 'boolean',
          description: { en: "Each shot starts from the last frame of the one before (rendered in turn)", ko: '각 장면이 이전 장면의 마지막 프레임에서 시작 (순서대로 생성)' },
        },
      ],
    },
    {
      name: 'extend',
      description: { en: 'Continue a finished video from its last frame', ko: '완성된 동영상을 마지막 프레임에서 이어 만들기' },
      permission: 'member',
      spendsMoney: true,
      examples: ['/sora extend j_4k2m9x --prompt the robot jumps into the sea --seconds 8', '/sora extend b_7q2w9d4k --prompt they wave goodbye --seconds 4'],
      options: [
        { ...jobOption, required: true, description: { en: 'The finished job or storyboard (b_…) to continue', ko: '이어 만들 완료된 작업 또는 스토리보드(b_…)' } },
        {
          name: 'prompt',
          type: 'string',
          freeText: true,
          minLength: 3,
          maxLength: 2000,
          autocomplete: 'character-mention',
          description: { en: 'What happens next (default: the same prompt)', ko: '이어질 내용 (기본: 같은 프롬프트)' },
        },
        { ...secondsOption, description: { en: 'Length of the new part, in seconds', ko: '추가할 길이(초)' } },
        { ...audioOption, description: { en: 'Sound on or off (default: as the video it continues)', ko: '소리 켜기/끄기 (기본: 원래 동영상과 같게)' } },
      ],
    },
    {
      name: 'retry',
      description: { en: 'Render a failed shot of a storyboard again', ko: '실패한 장면 다시 만들기' },
      permission: 'member',
      spendsMoney: true,
      examples: ['/sora retry b_4k2m9x --shot 2'],
      options: [
        { ...jobOption, name: 'board', required: true, autocomplete: undefined, description: { en: 'The storyboard id', ko: '스토리보드 ID' } },
        { name: 'shot', type: 'integer', required: true, min: 1, max: 5, description: { en: 'The shot to render again', ko: '다시 만들 장면 번호' } },
      ],
    },
  ],
} as const satisfies CommandSpec;

const GIVEN = ['seconds', 'orientation', 'resolution', 'backend'] as const;

/**
 * `generate` and `remix` launch a job: by the time they return, the surface has shown the acceptance
 * (`openSurface`) and the job runs, so adapters do not render their `accepted` reply again.
 */
export const run: Runs<typeof spec> = {
  async generate(ctx, o) {
    // What the user typed; the rest may come from the channel's defaults (/settings channel).
    const given = GIVEN.filter((name) => o[name] !== undefined);
    const input = {
      ...{ prompt: o.prompt, seconds: o.seconds, orientation: o.orientation ?? 'landscape', resolution: resolutionOf(o), audio: o.audio },
      ...{ backend: o.backend, imagePath: undefined, remixOf: undefined, given },
    };
    const request = { surface: ctx.surface, input, imageSource: await attachedFile(ctx, o.image, 'image'), takes: o.takes };
    return { kind: 'accepted', accepted: await ctx.studio.launch(ctx.actor, request, surfaceOpener(ctx)) };
  },
  async status({ studio, actor }, o) {
    if (!o.job) return { kind: 'jobs', jobs: (await studio.recentJobs(actor)).slice(0, 10) };
    if (o.job.startsWith('b_')) return { kind: 'board', ...(await studio.boards.view(actor, o.job)) };
    const job = await studio.job(actor, o.job);
    const elapsed = job.state === 'running' ? elapsedProgress(job, job.progress, studio.backend(job.backend)?.capabilities, studio.clock.now()) : undefined;
    return { kind: 'job', job, position: studio.queuePosition(job.id), ...(elapsed && { elapsed }) };
  },
  // Only the requester or an admin may keep; the core checks it (takes.ts).
  async keep({ studio, actor }, o) {
    return { kind: 'kept', job: await studio.keep(actor, o.job) };
  },
  async cancel({ studio, actor }, o) {
    return { kind: 'cancelled', job: await studio.cancel(actor, o.job) };
  },
  // Who may decide depends on the job (never one's own, unless the only admin): the core checks it (team-rules.ts).
  // A storyboard's or extension's id (`b_…`) decides on the whole board, whose sum waited.
  async approve({ studio, actor }, o) {
    if (o.job.startsWith('b_')) return { kind: 'board-decided', ...(await studio.team.approveBoard(actor, o.job)) };
    return { kind: 'decided', job: await studio.team.approve(actor, o.job) };
  },
  async deny({ studio, actor }, o) {
    if (o.job.startsWith('b_')) return { kind: 'board-decided', ...(await studio.team.denyBoard(actor, o.job, o.reason)) };
    return { kind: 'decided', job: await studio.team.deny(actor, o.job, o.reason) };
  },
  async remix(ctx, o) {
    return { kind: 'accepted', accepted: await ctx.studio.launch(ctx.actor, { surface: ctx.surface, remixOf: o.job, prompt: o.prompt, takes: o.takes }, surfaceOpener(ctx)) };
  },
  async storyboard({ studio, actor, surface }, o) {
    const request = {
      ...{ shots: parseShots(o.shots), seconds: o.seconds, orientation: o.orientation ?? 'landscape', resolution: resolutionOf(o), audio: o.audio },
      ...{ backend: o.backend, continuous: o.continuous ?? false },
    };
    return { kind: 'board-accepted', accepted: await studio.boards.request(actor, request, surface) };
  },
  async extend({ studio, actor }, o) {
    return { kind: 'board-accepted', accepted: await studio.boards.extend(actor, o.job, { prompt: o.prompt, seconds: o.seconds, audio: o.audio }) };
  },
  async retry({ studio, actor }, o) {
    const board = await studio.boards.retry(actor, o.board, o.shot);
    return { kind: 'board', ...(await studio.boards.view(actor, board.id)) };
  },
};
