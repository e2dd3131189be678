/** The options every command that makes video shares: its resolution (and `--quality`, its old name) and its sound. */
import { UserFacingError } from '../src/core/errors.js';
import { msg } from '../src/core/messages.js';
import { DEFAULT_RESOLUTION } from '../src/core/pricing.js';
import type { Resolution } from '../src/core/types.js';

/** `--resolution`: what the video is rendered at; routing and price follow it. */
export const resolutionOption = {
  name: 'resolution',
  type: 'string',
  choices: [
    { value: '720p', label: { en: '720p (default)', ko: '720p (기본)' } },
    { value: '1080p', label: { en: '1080p (costs more on most backends)', ko: '1080p (대부분 더 비쌈)' } },
    { value: '4k', label: { en: '4K (few backends, costs most)', ko: '4K (일부 백엔드, 가장 비쌈)' } },
  ],
  description: { en: 'Output resolution', ko: '출력 해상도' },
} as const;

/** `--quality`, kept so existing habits and scripts still work: standard is 720p, high 1080p. */
export const qualityOption = {
  name: 'quality',
  type: 'string',
  choices: [
    { value: 'standard', label: { en: 'Standard (= 720p)', ko: '표준 (= 720p)' } },
    { value: 'high', label: { en: 'High (= 1080p)', ko: '고화질 (= 1080p)' } },
  ],
  description: { en: 'Old name for --resolution: standard is 720p, high is 1080p', ko: '--resolution의 예전 이름: standard는 720p, high는 1080p' },
} as const;

/** `--audio`: with sound or silent; without it, the team's default (`/budget set --audio`). */
export const audioOption = {
  name: 'audio',
  type: 'string',
  choices: [
    { value: 'on', label: { en: 'With sound', ko: '소리 있음' } },
    { value: 'off', label: { en: 'Silent', ko: '무음' } },
  ],
  description: { en: "Sound on or off (default: the team's setting)", ko: '소리 켜기/끄기 (기본: 팀 설정)' },
} as const;

/** `--takes N`: N renders of the same request side by side, each its own job; N× the price is held up front. */
export const takesOption = {
  name: 'takes',
  type: 'integer',
  min: 1,
  max: 4,
  choices: [
    { value: 1, label: { en: '1 video (default)', ko: '1개 (기본)' } },
    { value: 2, label: { en: '2 takes (2× the price)', ko: '2개 테이크 (가격 2배)' } },
    { value: 3, label: { en: '3 takes (3× the price)', ko: '3개 테이크 (가격 3배)' } },
    { value: 4, label: { en: '4 takes (4× the price)', ko: '4개 테이크 (가격 4배)' } },
  ],
  description: { en: 'How many variants to render at once, to keep the best (1-4; each is charged)', ko: '한 번에 만들 변형 수, 가장 좋은 것을 선택 (1-4, 각각 과금)' },
} as const;

/**
 * The resolution asked for: `--resolution`, else `--quality`, else 720p. Both naming different
 * ones is refused rather than guessed.
 */
export function resolutionOf(o: { resolution?: Resolution | undefined; quality?: 'standard' | 'high' | undefined }): Resolution {
  const fromQuality = o.quality === undefined ? undefined : o.quality === 'high' ? '1080p' : '720p';
  if (o.resolution !== undefined && fromQuality !== undefined && o.resolution !== fromQuality) {
    throw new UserFacingError(msg('options.quality_conflict', { quality: o.quality!, means: fromQuality, resolution: o.resolution }), { code: 'conflicting_options' });
  }
  return o.resolution ?? fromQuality ?? DEFAULT_RESOLUTION;
}
