/**
 * The bot's words in every language it speaks, one catalog per locale, each
 * split by area. `Catalog` requires every code, so a sentence missing in one
 * language does not compile.
 */
import type { Catalog, Locale } from '../core/messages.js';
import { errors as enErrors } from './en/errors.js';
import { outcomes as enOutcomes } from './en/outcomes.js';
import { team as enTeam } from './en/team.js';
import { replies as enReplies } from './en/replies.js';
import { surfaces as enSurfaces } from './en/surfaces.js';
import { errors as koErrors } from './ko/errors.js';
import { outcomes as koOutcomes } from './ko/outcomes.js';
import { team as koTeam } from './ko/team.js';
import { replies as koReplies } from './ko/replies.js';
import { surfaces as koSurfaces } from './ko/surfaces.js';

export const CATALOGS: Record<Locale, Catalog> = {
  en: { ...enReplies, ...enErrors, ...enSurfaces, ...enOutcomes, ...enTeam },
  ko: { ...koReplies, ...koErrors, ...koSurfaces, ...koOutcomes, ...koTeam },
};
