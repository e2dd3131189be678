/**
 * Delivers a simulated job's completion to a webhook URL once the job ends,
 * the way providers do: watch the job on the simulator clock, POST the signed
 * body, retry a few times on failure. Every delivery is recorded for tests.
 */
import { request } from 'undici';
import type { Clock } from '../core/clock.js';
import type { JobBoard, SimJob } from './jobs.js';

export interface WebhookDelivery {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** HTTP status the receiver answered, or 0 when it could not be reached. */
  status: number;
  at: number;
}

export interface WebhookSender {
  readonly deliveries: WebhookDelivery[];
  /** Watches `jobId` and sends `build(job)` to `url` when the job reaches a final state. */
  watch(jobId: string, url: string, build: (job: SimJob, nowMs: number) => { headers: Record<string, string>; body: string }): void;
  /** Suppresses the next `n` deliveries (a lost webhook: the bot must still finish by polling). */
  drop(n: number): void;
}

export function createWebhookSender(options: {
  clock: Clock;
  jobs: JobBoard;
  stopping: AbortSignal;
  /** How often a watched job is looked at (simulator clock). */
  checkEveryMs?: number;
  attempts?: number;
}): WebhookSender {
  const { clock, jobs, stopping } = options;
  const every = options.checkEveryMs ?? 500;
  const attempts = options.attempts ?? 3;
  const deliveries: WebhookDelivery[] = [];
  let toDrop = 0;

  const post = async (url: string, headers: Record<string, string>, body: string): Promise<number> => {
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
        signal: stopping,
      });
      await response.body.dump();
      return response.statusCode;
    } catch {
      return 0;
    }
  };

  const run = async (jobId: string, url: string, build: (job: SimJob, nowMs: number) => { headers: Record<string, string>; body: string }) => {
    for (;;) {
      await clock.sleep(every, stopping);
      const job = jobs.get(jobId);
      if (!job) return; // cancelled or deleted
      if (job.status === 'completed' || job.status === 'failed') break;
    }
    if (toDrop > 0) {
      toDrop--;
      return;
    }
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const job = jobs.get(jobId);
      if (!job) return;
      const { headers, body } = build(job, clock.now());
      const status = await post(url, headers, body);
      deliveries.push({ url, headers, body, status, at: clock.now() });
      if (status >= 200 && status < 300) return;
      await clock.sleep(every * 2 ** attempt, stopping);
    }
  };

  return {
    deliveries,
    watch(jobId, url, build) {
      void run(jobId, url, build).catch(() => undefined);
    },
    drop(n) {
      toDrop += n;
    },
  };
}
