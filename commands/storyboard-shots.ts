/**
 * A storyboard's shots as typed: `shot | shot | shot`, each shot possibly with
 * its own `--seconds N` or `--orientation portrait|landscape` (the options after
 * the last shot apply to every shot; the text syntax leaves a shot's own flags in
 * its words, see `segmentSeparator` in spec.ts). Discord's and Slack's forms
 * send the same text.
 */
import { UserFacingError } from '../src/core/errors.js';
import { msg } from '../src/core/messages.js';
import type { ShotRequest } from '../src/core/storyboard-desk.js';

const MAX_SHOTS = 5;
const FLAG = /(^|\s)--(seconds|orientation)(?:=|\s+)(\S+)/gi;

export function parseShots(text: string | undefined): ShotRequest[] {
  const parts = (text ?? '').split('|').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === '') {
    throw new UserFacingError(msg('storyboard.no_shots'), { code: 'no_shots' });
  }
  if (parts.length > MAX_SHOTS) throw new UserFacingError(msg('storyboard.too_many_shots', { count: parts.length, max: MAX_SHOTS }), { code: 'shot_count' });
  return parts.map((part, i) => {
    const shot: ShotRequest = { prompt: '' };
    const prompt = part.replace(FLAG, (_all, lead: string, name: string, value: string) => {
      if (name.toLowerCase() === 'seconds') {
        const seconds = Number(value);
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > 20) throw new UserFacingError(msg('storyboard.shot_seconds', { shot: i + 1 }), { code: 'invalid_option' });
        shot.seconds = seconds;
      } else {
        const orientation = value.toLowerCase();
        if (orientation !== 'landscape' && orientation !== 'portrait') throw new UserFacingError(msg('storyboard.shot_orientation', { shot: i + 1 }), { code: 'invalid_option' });
        shot.orientation = orientation;
      }
      return lead;
    });
    shot.prompt = prompt.replace(/\s+/g, ' ').trim();
    if (shot.prompt.length < 3) throw new UserFacingError(msg('storyboard.empty_shot', { shot: i + 1 }), { code: 'empty_shot' });
    return shot;
  });
}
