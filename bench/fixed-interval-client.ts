/**
 * The baselines for measurement 2: the simplest honest client a team would
 * write, and what the original design's reference client did. Submit, then ask
 * for the status every `intervalMs` until the job ends; on completion stream
 * the result to disk and call that "posted". It goes through the same backend
 * module and HTTP layer (undici agent, retries, schemas) as the bot, so the
 * only difference measured is when it chooses to ask.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Clock } from '../src/core/clock.js';
import type { Backend } from '../src/core/ports.js';

export interface FixedIntervalRun {
  providerJobId: string;
  /** Clock time at which the file was on disk (the moment a chat post would start). */
  postedAt: number;
  polls: number;
}

export interface FixedIntervalJob {
  /** Set as soon as the provider accepted the job. */
  providerJobId: string | undefined;
  /** True while the result is being downloaded. */
  downloading: boolean;
  finished: boolean;
  done: Promise<FixedIntervalRun>;
}

export function runFixedIntervalJob(options: { backend: Backend; clock: Clock; intervalMs: number; dir: string; seconds: number }): FixedIntervalJob {
  const { backend, clock, intervalMs } = options;
  const job: FixedIntervalJob = { providerJobId: undefined, downloading: false, finished: false, done: undefined as unknown as Promise<FixedIntervalRun> };
  job.done = (async () => {
    const id = randomUUID();
    const { providerJobId } = await backend.submit({
      jobId: id,
      idempotencyKey: id,
      prompt: 'a paper boat drifting down a rainy street',
      seconds: options.seconds,
      size: '1280x720',
      orientation: 'landscape',
      resolution: '720p',
    audio: 'off',
      characters: [],
      imagePath: undefined,
      remixOfProviderJobId: undefined,
      webhookUrl: undefined,
    });
    job.providerJobId = providerJobId;
    let polls = 0;
    for (;;) {
      await clock.sleep(intervalMs);
      polls++;
      const status = await backend.status(providerJobId);
      if (status.state === 'failed' || status.state === 'cancelled') throw new Error(`baseline job ${providerJobId} ended ${status.state}`);
      if (status.state !== 'completed') continue;
      job.downloading = true;
      const result = await backend.openResult(providerJobId);
      await pipeline(result.body, createWriteStream(path.join(options.dir, `${providerJobId}.mp4`)));
      job.downloading = false;
      job.finished = true;
      return { providerJobId, postedAt: clock.now(), polls };
    }
  })();
  return job;
}
