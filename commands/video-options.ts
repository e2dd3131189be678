/** The options every command that makes video shares: its resolution (and `--quality`, its old name) and its sound. */
import { UserFacingError } from '../src/core/errors.js';
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

/**
 * The resolution asked for: `--resolution`, else `--quality`, else 720p. Both naming different
 * ones is refused rather than guessed.
 */
export function resolutionOf(o: { resolution?: Resolution | undefined; quality?: 'standard' | 'high' | undefined }): Resolution {
  const fromQuality = o.quality === undefined ? undefined : o.quality === 'high' ? '1080p' : '720p';
  if (o.resolution !== undefined && fromQuality !== undefined && o.resolution !== fromQuality) {
    throw new UserFacingError('conflicting_options', `--quality ${o.quality} means ${fromQuality}, but --resolution says ${o.resolution}. Give just --resolution.`);
  }
  return o.resolution ?? fromQuality ?? DEFAULT_RESOLUTION;
}
