/**
 * The options for a team rule that /budget sets for the whole team and
 * /settings channel for one channel: the routing policy and the approval
 * threshold. Each command words the description for where the rule applies.
 */
import type { Localized } from './spec.js';

/** `--policy`: how the router picks a backend when no character decides it (src/core/router.ts). */
export function policyOption<const D extends Localized>(description: D) {
  return {
    name: 'policy',
    type: 'string',
    choices: [
      { value: 'cost', label: { en: 'Cheapest backend first', ko: '가장 저렴한 백엔드 우선' } },
      { value: 'stability', label: { en: 'Most stable backend first', ko: '가장 안정적인 백엔드 우선' } },
    ],
    description,
  } as const;
}

/** `--approve-above`: videos estimated above this many USD wait for an admin's decision. */
export function approveAboveOption<const D extends Localized>(description: D) {
  return { name: 'approve-above', type: 'number', min: 0, max: 100000, decimals: 2, placeholder: 'USD', description } as const;
}
