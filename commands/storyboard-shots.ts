/**
 * A storyboard's shots as typed: `shot | shot | shot`, each shot possibly with
 * its own `--seconds N` or `--orientation portrait|landscape` (the options after
 * the last shot apply to every shot; the text syntax leaves a shot's own flags in
 * its words, see `segmentSeparator` in spec.ts). Discord's and Slack's forms
 * send the same text.
 */
import { UserFacingError } from '../src/core/errors.js';
import type { ShotRequest } from '../src/core/storyboard-desk.js';

const MAX_SHOTS = 5;
const FLAG = /(^|\s)--(seconds|orientation)(?:=|\s+)(\S+)/gi;

export function parseShots(text: string | undefined): ShotRequest[] {
  const parts = (text ?? '').split('|').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === '') {
    throw new UserFacingError('no_shots', 'Give the shots separated by |, e.g. /sora storyboard @mascot wakes up | @mascot makes coffee.');
  }
  if (parts.length > MAX_SHOTS) throw new UserFacingError('shot_count', `A storyboard has at most ${MAX_SHOTS} shots; this one has ${parts.length}.`);
  return parts.map((part, i) => {
    const shot: ShotRequest = { prompt: '' };
    const prompt = part.replace(FLAG, (_all, lead: string, name: string, value: string) => {
      if (name.toLowerCase() === 'seconds') {
        const seconds = Number(value);
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > 20) throw new UserFacingError('invalid_option', `Shot ${i + 1}: --seconds must be a whole number from 1 to 20.`);
        shot.seconds = seconds;
      } else {
        const orientation = value.toLowerCase();
        if (orientation !== 'landscape' && orientation !== 'portrait') throw new UserFacingError('invalid_option', `Shot ${i + 1}: --orientation must be landscape or portrait.`);
        shot.orientation = orientation;
      }
      return lead;
    });
    shot.prompt = prompt.replace(/\s+/g, ' ').trim();
    if (shot.prompt.length < 3) throw new UserFacingError('empty_shot', `Shot ${i + 1} needs a prompt of at least 3 characters.`);
    return shot;
  });
}
