/** Small helpers for end-to-end tests that drive jobs through the in-process bot. */
import type { GenerationInput, JobRecord } from '../../src/core/types.js';
import { driveUntil } from './drive.js';
import type { TestBot } from './test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

export const generationInput = (prompt: string, extra: Partial<GenerationInput> = {}): GenerationInput => ({
  prompt,
  seconds: 4,
  orientation: 'landscape',
  resolution: '720p', audio: undefined,
  backend: undefined,
  imagePath: undefined,
  remixOf: undefined,
  ...extra,
});

/** Drives the clock until every job is terminal and its surface heard the ending. */
export async function finishJobs(t: TestBot, jobIds: string[], maxSteps = 4000, stepMs = 500): Promise<JobRecord[]> {
  const terminal = async () => {
    const jobs = await Promise.all(jobIds.map((id) => internalsOf(t.bot.studio).jobs.get(id)));
    return jobs.every(
      (j) => j && ['delivered', 'failed', 'cancelled'].includes(j.state) && t.surface.of(j.id).some((e) => ['finished', 'failed', 'cancelled'].includes(e.type)),
    );
  };
  await driveUntil(t.clock, terminal, { stepMs, maxSteps });
  return (await Promise.all(jobIds.map((id) => internalsOf(t.bot.studio).jobs.get(id)))) as JobRecord[];
}
