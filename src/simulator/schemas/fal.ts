/**
 * The fal model schemas the simulator validates submits against, by model id. A model id the
 * simulator has no schema for answers 404 as fal does for an unknown application.
 */
import type { FalModelSchema } from './fal-common.js';
import { falKlingO3 } from './fal-kling-o3.js';
import { falSeedance2 } from './fal-seedance2.js';
import { falVeo31Reference, falVeo31Text } from './fal-veo31.js';
import { falWan27 } from './fal-wan27.js';

const ALL: readonly FalModelSchema[] = [falKlingO3, falSeedance2, falVeo31Reference, falVeo31Text, falWan27];

export const FAL_MODEL_SCHEMAS: ReadonlyMap<string, FalModelSchema> = new Map(ALL.flatMap((m) => m.endpoints.map((e) => [e, m] as const)));
