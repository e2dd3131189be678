import { budget } from './budget.js';
import { character } from './character.js';
import { cost } from './cost.js';
import { sora } from './sora.js';
import type { CommandSpec } from './spec.js';

export type * from './spec.js';

/** Every command the bot serves, in help order. */
export const COMMANDS: readonly CommandSpec[] = [sora, character, cost, budget];
