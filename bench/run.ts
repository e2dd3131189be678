/**
 * `npm run bench`: runs every measurement in its own process (so one's memory
 * and event loop never colour another's), prints each figure next to its
 * target, and writes bench/results.json. See bench/README.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { BENCH_DIR, REPO_DIR, RESULT_PREFIX } from './lib.js';

// Result shapes are each measurement's own; the table reads them by name.
type Json = Record<string, any>;

/** Runs `bench/<script>` under tsx, or a compiled `dist/bench/<script>.js` (a path ending in .js) under plain node. */
function runMeasurement(script: string, args: string[] = [], nodeFlags: string[] = []): Promise<Json> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const entry = script.endsWith('.js') ? [`${REPO_DIR}${script}`] : ['--import', 'tsx', `${BENCH_DIR}${script}`];
    const child = spawn(process.execPath, [...nodeFlags, ...entry, ...args], { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) return reject(new Error(`${script} ${args.join(' ')} exited with ${code}:\n${out.slice(-2000)}`));
      process.stderr.write(`  ${script} ${args.join(' ')} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as Json);
    });
  });
}

interface Row {
  measurement: string;
  figure: string;
  target: string;
  ok: boolean | undefined;
}

const benchStarted = Date.now();
process.stderr.write('Running benchmarks (about 2 minutes)…\n');
const ack = {
  discord: await runMeasurement('ack-latency.ts', ['discord', '500']),
  slackHttp: await runMeasurement('ack-latency.ts', ['slack-http', '500']),
  slackSocket: await runMeasurement('ack-latency.ts', ['slack-socket', '500']),
};
const lag = await runMeasurement('delivery-lag.ts', ['10']);
const capacity = await runMeasurement('capacity.ts', ['10000', '20']);
// The same compiled and under plain node, as deployed, when it builds here (cold-start.ts reports a failed build).
const built = spawnSync(process.execPath, [`${REPO_DIR}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.bench.json'], { cwd: REPO_DIR, encoding: 'utf8' });
const capacityBuild = built.status === 0 ? await runMeasurement('dist/bench/capacity.js', ['10000', '20']) : undefined;
const relay = await runMeasurement('relay-memory.ts', ['200'], ['--expose-gc']);
const cold = await runMeasurement('cold-start.ts', ['3']);

const rows: Row[] = [];
for (const [name, r] of Object.entries(ack)) {
  rows.push({ measurement: `1 ack latency, ${r.platform} (500 in one burst)`, figure: `p50 ${r.p50Ms} ms · p99 ${r.p99Ms} ms · max ${r.maxMs} ms`, target: 'p99 ≤ 50 ms', ok: r.p99Ms <= 50 });
  void name;
}
const variant = (v: string): Json => lag.variants.find((x: Json) => x.variant === v);
const fixed5 = variant('fixed-5s');
for (const v of lag.variants as Json[]) {
  const ratio = v.requestsPerJob / fixed5.requestsPerJob;
  let target = 'baseline';
  let ok: boolean | undefined;
  if (v.variant === 'adaptive') {
    target = `≤ ¼ of fixed-5s requests (${(fixed5.requestsPerJob / 4).toFixed(1)}), median lag ≤ 2 s`;
    ok = ratio <= 0.25 && v.medianLagS <= 2;
  } else if (v.variant === 'webhook') {
    target = '0 polls';
    ok = v.pollsPerJob === 0;
  }
  rows.push({
    measurement: `2 provider requests & lag, ${v.variant} (3-min render)`,
    figure: `${v.requestsPerJob} req/job (${v.pollsPerJob} polls, ${(ratio * 100).toFixed(0)}% of fixed-5s) · median lag ${v.medianLagS} s (max ${v.maxLagS} s)`,
    target,
    ok,
  });
}
for (const c of [capacity, capacityBuild]) {
  if (!c) continue;
  rows.push({
    measurement: `3 capacity, ${c.inFlight} jobs in flight (${c.code === 'build' ? 'compiled dist/, plain node' : 'tsx'})`,
    figure: `RSS max ${c.rssMaxMb} MB (idle ${c.rssStartMb} MB) · loop delay p99 ${c.loopDelayP99Ms} ms`,
    target: 'RSS ≤ 200 MB, loop delay p99 ≤ 20 ms',
    ok: c.rssMaxMb <= 200 && c.loopDelayP99Ms <= 20,
  });
}
rows.push({
  measurement: `4 relay memory, ${relay.megabytes} MB result → Slack upload`,
  figure: `peak RSS rise ${relay.riseMb} MB (idle ${relay.idleRssMb} MB, peak ${relay.peakRssMb} MB)`,
  target: 'rise ≤ 40 MB',
  ok: relay.riseMb <= 40,
});
const coldRow = (label: string, r: Json | undefined) => {
  if (!r) return;
  rows.push({ measurement: `5 cold start, ${label}`, figure: `${r.medianMs} ms (median of ${r.runsMs.length})`, target: '≤ 1500 ms', ok: r.medianMs <= 1500 });
};
coldRow('console, node --import tsx src/main.ts', cold.tsxConsole);
coldRow('Discord (fake), node --import tsx src/main.ts', cold.tsxDiscord);
coldRow('console, node dist/src/main.js', cold.compiledConsole);
coldRow('Discord (fake), node dist/src/main.js', cold.compiledDiscord);

const totalS = (Date.now() - benchStarted) / 1000;
const verdict = (ok: boolean | undefined) => (ok === undefined ? '—' : ok ? 'met' : 'MISSED');
const table = [
  '| Measurement | Result | Target | |',
  '|---|---|---|---|',
  ...rows.map((r) => `| ${r.measurement} | ${r.figure} | ${r.target} | ${verdict(r.ok)} |`),
].join('\n');
process.stdout.write(`\n${table}\n\nMachine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}. Whole run: ${totalS.toFixed(0)} s.\n`);

await writeFile(
  `${BENCH_DIR}results.json`,
  `${JSON.stringify({ ranAt: new Date().toISOString(), node: process.version, cpus: os.cpus().length, totalSeconds: Math.round(totalS), rows, raw: { ack, lag, capacity, capacityBuild, relay, cold } }, null, 2)}\n`,
);
process.stdout.write('Wrote bench/results.json\n');
