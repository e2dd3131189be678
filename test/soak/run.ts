/**
 * `npm run soak`: a randomized soak of the real bot (in-process, real HTTP,
 * SQLite, media store) against the simulator with random faults, cancels and
 * restarts. SOAK_SECONDS (default 150, at most 600) of wall time; SOAK_SEED
 * makes a run repeatable. Ends with a summary and exits non-zero if any
 * invariant breaks: jobs lost, double charges, overspend.
 */
import { UserFacingError } from '../../src/core/errors.js';
import type { FaultSpec } from '../../src/simulator/faults.js';
import { driveUntil } from '../helpers/drive.js';
import { generationInput } from '../helpers/jobs.js';
import { actor, startTestBot, type TestBot } from '../helpers/test-bot.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const seconds = Math.min(600, Number(process.env.SOAK_SECONDS ?? 150));
let seed = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000);
const startSeed = seed;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const FAULTS: FaultSpec[] = [
  { protocol: 'openai', fault: '429', route: 'openai.create', times: 2, retryAfterSeconds: 2 },
  { protocol: 'openai', fault: '500', route: 'openai.get', times: 3 },
  { protocol: 'apiyi', fault: '500', route: 'apiyi.task', times: 3 },
  { protocol: 'openai', fault: 'reset', route: 'openai.cdn', times: 1 },
  { protocol: 'openai', fault: 'expired', route: 'openai.cdn', times: 1 },
  { protocol: 'openai', fault: 'moderation', times: 1 },
  { protocol: 'apiyi', fault: 'moderation', times: 1 },
  { protocol: 'apiyi', fault: 'reset', route: 'apiyi.generate', times: 1 },
  { protocol: 'openai', fault: 'slow', route: 'openai.create', times: 1 },
  { protocol: 'openai', fault: 'stall', times: 1 },
];
const TENANTS = [
  { tenant: 'soak:A', capMicros: 6_000_000 },
  { tenant: 'soak:B', capMicros: 3_300_000 },
  { tenant: 'soak:C', capMicros: 9_900_001 },
];

async function main(): Promise<void> {
  let t: TestBot = await startTestBot({ LOG_LEVEL: 'warn', PROVIDER_TIMEOUT_SECONDS: '1', JOB_DEADLINE_MINUTES: '5', TENANT_CONCURRENCY: '6', BACKEND_CONCURRENCY: '8' });
  for (const { tenant, capMicros } of TENANTS) await t.bot.studio.setBudget(actor(tenant, 'admin', true), { amountMicros: capMicros });
  const jobIds = new Map<string, string>(); // job id → tenant
  let faults = 0;
  let cancels = 0;
  let restarts = 0;
  let refused = 0;
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const roll = random();
    if (roll < 0.5) {
      const { tenant } = pick(TENANTS);
      try {
        const accepted = await t.bot.studio.generate(actor(tenant, `u${Math.floor(random() * 5)}`), generationInput(`soak clip ${jobIds.size}`, { backend: pick(['openai', 'apiyi', undefined]), seconds: pick([4, 8, 12]) }), { platform: 'test' });
        jobIds.set(accepted.job.id, tenant);
      } catch (error) {
        if (!(error instanceof UserFacingError)) throw error;
        refused++;
      }
    } else if (roll < 0.62) {
      t.sim.faults.inject(pick(FAULTS));
      faults++;
    } else if (roll < 0.67 && jobIds.size > 0) {
      const [id, tenant] = pick([...jobIds.entries()]);
      await t.bot.studio.cancel(actor(tenant, 'admin', true), id).then(() => cancels++, () => undefined);
    } else if (roll < 0.69) {
      t = await t.restart();
      restarts++;
    }
    await driveUntil(t.clock, () => true, { maxSteps: 1 });
    await t.clock.advance(500, 500);
  }
  // Let everything finish: faults off, time moves on.
  t.sim.faults.clear();
  const terminal = async () => (await Promise.all([...jobIds.keys()].map((id) => internalsOf(t.bot.studio).jobs.get(id)))).every((j) => j && ['delivered', 'failed', 'cancelled'].includes(j.state));
  await driveUntil(t.clock, terminal, { stepMs: 1000, maxSteps: 20_000, patienceMs: 0 }).catch(() => undefined);

  const jobs = await Promise.all([...jobIds.keys()].map((id) => internalsOf(t.bot.studio).jobs.get(id)));
  const lost = jobs.filter((j) => !j || !['delivered', 'failed', 'cancelled'].includes(j.state)).length;
  let doubleCharges = 0;
  let overspend = 0;
  let leakedReservations = 0;
  const months = new Set(jobs.map((j) => j?.ledgerMonth).filter(Boolean) as string[]);
  for (const { tenant, capMicros } of TENANTS) {
    for (const month of months) {
      const s = await internalsOf(t.bot.studio).ledger.summary(tenant, month);
      const mine = jobs.filter((j) => j && j.tenant === tenant && j.ledgerMonth === month);
      const charged = mine.filter((j) => j!.state === 'delivered' || (j!.state === 'failed' && j!.error?.code === 'moderation' && j!.backend === 'apiyi'));
      if (s.total.jobs > charged.length) doubleCharges += s.total.jobs - charged.length;
      if (s.total.spentMicros > capMicros) overspend += s.total.spentMicros - capMicros;
      leakedReservations += s.total.reservedMicros;
    }
  }
  const count = (state: string) => jobs.filter((j) => j?.state === state).length;
  const summary = {
    seed: startSeed,
    seconds,
    jobs: jobIds.size,
    delivered: count('delivered'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    refusedOverBudget: refused,
    faultsInjected: faults,
    cancels,
    restarts,
    providerJobsCreated: t.sim.stats.jobsCreated,
    jobsLost: lost,
    doubleCharges,
    overspendMicros: overspend,
    leakedReservationMicros: leakedReservations,
  };
  await t.stop();
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  const ok = lost === 0 && doubleCharges === 0 && overspend === 0 && leakedReservations === 0;
  process.stdout.write(ok ? 'soak: all invariants held\n' : 'soak: INVARIANT BROKEN\n');
  process.exit(ok ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`soak crashed: ${(error as Error).stack}\n`);
  process.exit(2);
});
