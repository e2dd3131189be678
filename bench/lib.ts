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

/**
 * Samples every allocation, collected or not (`survivorsOnly`: not those a scavenge collected), until `stop()`, which returns the top
 * allocating functions (bytes allocated, with the file and line) as text. The
 * inspector's sampling heap profiler; about one sample per 32 KB allocated.
 */
export async function startAllocationSampling(survivorsOnly: boolean, top = 40): Promise<{ stop: () => Promise<string> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 32_768,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: !survivorsOnly,
  } as object);
  return {
    async stop() {
      const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SamplingNode } };
      session.disconnect();
      const bySite = new Map<string, number>();
      let total = 0;
      const walk = (node: SamplingNode) => {
        const f = node.callFrame;
        const site = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|bench)\//, '$1/')}:${f.lineNumber + 1}`;
        bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
        total += node.selfSize;
        node.children.forEach(walk);
      };
      walk(profile.head);
      const rows = [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top);
      return [`allocated over the window: ${round(total / MB)} MB`, ...rows.map(([site, bytes]) => `${round(bytes / MB).toFixed(1).padStart(8)} MB  ${site}`), ''].join('\n');
    },
  };
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * The V8 heap flags production runs the bot with: the `start` script's, which the Dockerfile's
 * CMD repeats (test/deploy.test.ts). Measurements of the bot's memory pass them too, so the
 * figure is the deployed process's, not a tuned benchmark's.
 */
export async function productionHeapFlags(): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(`${REPO_DIR}package.json`, 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.split(/\s+/).filter((arg) => /^--max-(old|semi)-space-size=\d+$/.test(arg));
}
