/**
 * Shared pieces of the benchmark: percentiles, the result line a measurement
 * process prints for `run.ts`, and starting a helper process (simulator or
 * platform fake) whose memory must not count against the bot's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// A measurement compiled for plain node (tsconfig.bench.json) runs from dist/bench/; the sources stay in bench/.
const compiled = import.meta.url.endsWith('/dist/bench/lib.js');
export const REPO_DIR = fileURLToPath(new URL(compiled ? '../..' : '..', import.meta.url));
export const BENCH_DIR = `${REPO_DIR}bench/`;

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

export const MB = 1024 * 1024;

/** A measurement process prints exactly one line starting with this, followed by JSON. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

export function emitResult(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

export function realWait(ms: number): Promise<void> {
  // Real time on purpose: these waits are for sockets and processes, not for a simulated clock.
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, pollMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await realWait(pollMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface Peer {
  info: Record<string, string>;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `bench/peer.ts` (simulator and/or platform fakes) in its own process and
 * waits for the JSON line with its URLs, so its heap and event loop are not the bot's.
 */
export async function startPeer(args: Record<string, string | number>): Promise<Peer> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${BENCH_DIR}peer.ts`, JSON.stringify(args)], {
    cwd: REPO_DIR,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const info = await new Promise<Record<string, string>>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.startsWith('PEER_READY '));
      if (line) resolve(JSON.parse(line.slice('PEER_READY '.length)) as Record<string, string>);
    });
    child.once('exit', (code) => reject(new Error(`peer exited with ${code} before it was ready`)));
  });
  return {
    info,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
