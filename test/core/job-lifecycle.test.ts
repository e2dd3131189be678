/**
 * The job lifecycle in milliseconds: an in-memory KeyValueStore, a fake
 * Backend whose every call the test answers, and the manual clock. Nothing
 * here sleeps; each test waits for the event it asserts on (a surface event,
 * a backend call) or moves the clock.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { DocumentTenantSettings, type TenantSettingsRepository } from '../../src/core/tenant-settings.js';
import { ManualClock, settleIo } from '../../src/core/clock.js';
import { ProviderError, StoreUnavailable, UserFacingError } from '../../src/core/errors.js';
import { canTransition, IllegalTransition, JOB_TRANSITIONS, JobClosed, JobLifecycle } from '../../src/core/job-lifecycle.js';
import { JobStore } from '../../src/core/job-store.js';
import { KeyValueLedger } from '../../src/core/ledger.js';
import type { Backend, GenerationRequest, JobRepository, KeyValueStore, Logger, MediaStore, ProviderStatus, Surface } from '../../src/core/ports.js';
import { Studio } from '../../src/core/studio.js';
import type { CharacterBinding, JobEvent, JobRecord, JobState } from '../../src/core/types.js';
import { capabilities, character } from '../helpers/fixtures.js';
import { internalsOf } from '../../src/core/studio-internals.js';

const STATES = Object.keys(JOB_TRANSITIONS) as JobState[];
/** A provider status with only the fields a test cares about. */
const st = (s: Partial<ProviderStatus> & Pick<ProviderStatus, 'state'>): ProviderStatus => ({ progress: undefined, queuePosition: undefined, error: undefined, seconds: undefined, ...s });
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** Every move (`from→to`) the runner made in the scenarios below, as the store saw it: the last test checks the table against it. */
const taken = new Set<string>();

/** A KeyValueStore in a Map; `onSet` sees every write in order (the test's view of persistence). */
class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  onSet: (key: string, value: unknown) => void = () => {};
  /** A read that fails once (a store fault), when this returns true for the key and its stored value. */
  failRead: ((key: string, value: unknown) => boolean) | undefined;
  /** What that failing read throws (default: a broken disk, which fails the job). */
  readError: () => Error = () => new Error('disk I/O error');
  async get<T>(key: string): Promise<T | undefined> {
    const raw = this.data.get(key);
    if (raw !== undefined && this.failRead?.(key, JSON.parse(raw))) {
      this.failRead = undefined;
      throw this.readError();
    }
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }
  async set(key: string, value: unknown): Promise<void> {
    this.onSet(key, value);
    this.data.set(key, JSON.stringify(value));
  }
  async delete(key: string): Promise<void> {
    this.data.delete(key);
  }
  async close(): Promise<void> {}
}

/** A promise the test resolves from a fake's call, so it can wait for exactly that moment. */
class Signal<T = void> {
  resolve!: (value: T) => void;
  readonly promise = new Promise<T>((r) => (this.resolve = r));
}

/** A backend the test scripts: submit answers from `submits`, status from `statuses`. */
class FakeBackend implements Backend {
  readonly capabilities;
  readonly submitted: GenerationRequest[] = [];
  readonly created: string[] = [];
  readonly cancelled: string[] = [];
  submits: ((signal?: AbortSignal) => Promise<{ providerJobId: string }>)[] = [];
  statuses: ProviderStatus[] = [];
  /** When set, opening the result fails with it. */
  resultError: Error | undefined;
  createFails = 0;
  /** Status calls so far. */
  polls = 0;
  private createdCount = 0;

  constructor(
    readonly id = 'fake',
    microsPerSecond = 100_000,
  ) {
    this.capabilities = capabilities({ displayName: id === 'fake' ? 'Fake Video' : id, seconds: [4, 8], price: { kind: 'per-second', microsPerSecond: { '720p': { on: microsPerSecond, off: microsPerSecond }, '1080p': { on: microsPerSecond, off: microsPerSecond } } } });
  }

  async submit(request: GenerationRequest, signal?: AbortSignal): Promise<{ providerJobId: string }> {
    this.submitted.push(request);
    const next = this.submits.shift();
    return next ? next(signal) : { providerJobId: `p${this.submitted.length}` };
  }
  async status(): Promise<ProviderStatus> {
    this.polls += 1;
    return this.statuses.shift() ?? st({ state: 'completed' });
  }
  async openResult() {
    if (this.resultError) throw this.resultError;
    return { body: Readable.from([Buffer.from('video')]), contentLength: 5, contentType: 'video/mp4' };
  }
  async cancel(providerJobId: string): Promise<void> {
    this.cancelled.push(providerJobId);
  }
  async createCharacter(): Promise<CharacterBinding> {
    this.createdCount += 1;
    if (this.createdCount <= this.createFails) throw new ProviderError({ kind: 'transient', backend: this.id, message: 'create failed' });
    const id = `char_${this.createdCount}`;
    this.created.push(id);
    return { kind: 'provider-character', id, createdAt: 0 };
  }
}

const media: MediaStore = {
  async saveResult(jobId) {
    return { path: `/videos/${jobId}.mp4`, bytes: 5 };
  },
  fetchSource: () => Promise.reject(new Error('not in this test')),
  importFile: () => Promise.reject(new Error('not in this test')),
  discard: async () => undefined,
  holds: async () => true,
  extractFrames: async () => [],
  lastFrame: () => Promise.reject(new Error('not in this test')),
  joinVideos: () => Promise.reject(new Error('not in this test')),
  publicUrlFor: async () => undefined,
  bringLocal: async () => undefined,
};

/** Records each event per job and resolves waiters on the one they wait for. */
class RecordingSurface implements Surface {
  readonly platform = 'test';
  readonly progressIntervalMs = 0;
  readonly events: { jobId: string; event: JobEvent }[] = [];
  private waiters: { jobId: string; type: JobEvent['type']; signal: Signal<JobEvent> }[] = [];

  async update(job: JobRecord, event: JobEvent): Promise<void> {
    this.events.push({ jobId: job.id, event });
    for (const w of this.waiters.filter((w) => w.jobId === job.id && w.type === event.type)) w.signal.resolve(event);
    this.waiters = this.waiters.filter((w) => !(w.jobId === job.id && w.type === event.type));
  }

  next(jobId: string, type: JobEvent['type']): Promise<JobEvent> {
    const seen = this.events.find((e) => e.jobId === jobId && e.event.type === type);
    if (seen) return Promise.resolve(seen.event);
    const signal = new Signal<JobEvent>();
    this.waiters.push({ jobId, type, signal });
    return signal.promise;
  }
}

function setup(options: { store?: MemoryStore; backends?: FakeBackend[]; perBackend?: number; providerPace?: number; settings?: TenantSettingsRepository } = {}) {
  const store = options.store ?? new MemoryStore();
  const clock = new ManualClock();
  const backends = options.backends ?? [new FakeBackend()];
  const backend = backends[0] ?? new FakeBackend();
  const log: string[] = [];
  const ledger = new KeyValueLedger(store);
  // The order of money and state writes, as the store sees them; and each move of each job.
  const states = new Map<string, JobState>();
  for (const [key, raw] of store.data) if (key.startsWith('job:')) states.set(key, (JSON.parse(raw) as JobRecord).state);
  store.onSet = (key, value) => {
    if (!key.startsWith('job:')) return;
    const state = (value as JobRecord).state;
    log.push(`state:${state}`);
    const before = states.get(key);
    if (before !== undefined && before !== state) taken.add(`${before}→${state}`);
    states.set(key, state);
  };
  const recordingLedger = Object.assign(Object.create(ledger) as KeyValueLedger, {
    release: async (tenant: string, month: string, jobId: string) => {
      log.push('release');
      return ledger.release(tenant, month, jobId);
    },
    settle: async (s: Parameters<KeyValueLedger['settle']>[0]) => {
      log.push('settle');
      return ledger.settle(s);
    },
  });
  const studio = new Studio({
    store,
    clock,
    logger: quiet,
    backends,
    media,
    defaults: { tenantCapMicros: 100_000_000, userCapMicros: 100_000_000, policy: 'cost' },
    referencePriceBackend: backend.id,
    jobDeadlineMs: 60 * 60_000,
    concurrency: { perBackend: options.perBackend ?? 4, perTenant: 4 },
    publicUrl: undefined,
    ledger: recordingLedger,
    ...(options.providerPace && { providerPace: options.providerPace }),
    ...(options.settings && { settings: options.settings }),
  });
  const surface = new RecordingSurface();
  studio.attachSurface(surface);
  const actor = { tenant: 'test:A', userId: 'u1', displayName: 'Alice', isAdmin: true };
  const generate = (prompt = 'a fox in the snow') =>
    studio.generate(actor, { prompt, seconds: 4, orientation: 'landscape', resolution: '720p', audio: undefined, backend: undefined, imagePath: undefined, remixOf: undefined }, { platform: 'test' });
  const reserved = async () => (await ledger.summary('test:A', (await internalsOf(studio).jobs.recent('test:A'))[0]!.ledgerMonth)).total;
  const until = async (entry: string) => {
    while (!log.includes(entry)) await clock.advance(5_000, 5_000);
  };
  return { store, clock, backend, log, studio, surface, generate, reserved, actor, until };
}

/** A submit that hangs until its step is aborted, as a slow provider does. */
const hangs = (signal?: AbortSignal) => new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));

/** A stored job in a given state, for the table tests. */
async function storedJob(jobs: JobRepository, state: JobState): Promise<JobRecord> {
  const job = { id: `j_${state}`, tenant: 'test:A', state, surface: { platform: 'test' }, updatedAt: 0 } as unknown as JobRecord;
  await jobs.create(job);
  return job;
}

describe('the transition table', () => {
  for (const from of STATES) {
    for (const to of STATES) {
      const legal = canTransition(from, to);
      it(`${from} → ${to} is ${legal ? 'allowed and persisted' : 'refused'}`, async () => {
        const jobs = new JobStore(new MemoryStore());
        const lifecycle = new JobLifecycle(jobs, new ManualClock());
        await storedJob(jobs, from);
        const attempt = lifecycle.transition(`j_${from}`, to);
        if (legal) {
          assert.equal((await attempt).state, to);
          assert.equal((await jobs.get(`j_${from}`))?.state, to, 'the new state is in the store when transition returns');
        } else {
          await assert.rejects(attempt, JOB_TRANSITIONS[from].length === 0 ? JobClosed : IllegalTransition);
          assert.equal((await jobs.get(`j_${from}`))?.state, from, 'a refused move writes nothing');
        }
      });
    }
  }

  it('ends are ends: no state leaves delivered, failed or cancelled', () => {
    for (const end of ['delivered', 'failed', 'cancelled'] as const) assert.deepEqual(JOB_TRANSITIONS[end], []);
  });
});

describe('the runner through the lifecycle', () => {
  it('takes a job through every state to delivered and settles once', async () => {
    const t = setup();
    t.backend.statuses = [st({ state: 'queued', queuePosition: 2 }), st({ state: 'running', progress: 40 }), st({ state: 'completed' })];
    const { job } = await t.generate();
    const finished = t.surface.next(job.id, 'finished');
    while (t.log.at(-1) !== 'state:delivered') await t.clock.advance(5_000, 5_000);
    await finished;
    const states = t.log.filter((l) => l.startsWith('state:')).filter((l, i, all) => l !== all[i - 1]);
    assert.deepEqual(states, ['state:queued', 'state:submitting', 'state:submitted', 'state:running', 'state:downloading', 'state:delivering', 'state:delivered']);
    assert.equal(t.log.filter((l) => l === 'settle').length, 1);
    assert.ok(t.log.indexOf('settle') < t.log.indexOf('state:delivering'), 'charged only once the file is saved, before delivering');
    const total = await t.reserved();
    assert.equal(total.reservedMicros, 0);
    assert.equal(total.spentMicros, 400_000);
  });

  it('fail releases the reservation before the job is written as failed', async () => {
    const t = setup();
    t.backend.statuses = [st({ state: 'failed', error: new ProviderError({ kind: 'transient', backend: 'fake', message: 'render crashed' }) })];
    const { job } = await t.generate();
    const failed = t.surface.next(job.id, 'failed');
    while (!t.log.includes('state:failed')) await t.clock.advance(5_000, 5_000);
    await failed;
    assert.ok(t.log.indexOf('release') !== -1 && t.log.indexOf('release') < t.log.indexOf('state:failed'), t.log.join(' '));
    assert.equal((await t.reserved()).reservedMicros, 0);
  });

  it('cancel releases before the terminal state, stops following and tells the provider', async () => {
    const t = setup();
    t.backend.statuses = [st({ state: 'running', progress: 10 })];
    const { job } = await t.generate();
    while (!t.log.includes('state:running')) await t.clock.advance(5_000, 5_000);
    const cancelled = await t.studio.cancel(t.actor, job.id);
    assert.equal(cancelled.state, 'cancelled');
    assert.ok(t.log.indexOf('release') < t.log.indexOf('state:cancelled'), t.log.join(' '));
    assert.deepEqual(t.backend.cancelled, ['p1']);
    assert.equal((await t.reserved()).reservedMicros, 0);
    const pollsBefore = t.backend.statuses.length;
    await t.clock.advance(120_000, 30_000);
    assert.equal(t.backend.statuses.length, pollsBefore, 'a cancelled job is not polled again');
    assert.equal(internalsOf(t.studio).runner.inFlight, 0);
  });

  it('refuses to cancel a job that is already downloading', async () => {
    const t = setup();
    await storedJob(internalsOf(t.studio).jobs, 'downloading');
    await assert.rejects(internalsOf(t.studio).runner.cancel('j_downloading', 'Bob'), IllegalTransition);
    assert.ok(!t.log.includes('release'), 'nothing released for a refused cancel');
  });

  it('a webhook makes a waiting job look now instead of at its next poll', async () => {
    const t = setup();
    t.backend.statuses = [st({ state: 'running', progress: 5 })];
    const { job } = await t.generate();
    while (!t.log.includes('state:running')) await t.clock.advance(1_000, 1_000);
    const stored = await internalsOf(t.studio).jobs.get(job.id);
    assert.equal(t.studio.providerEvent('fake', stored!.providerJobId!, st({ state: 'completed' })), true);
    const finished = t.surface.next(job.id, 'finished');
    await settleIo(10);
    while (!t.log.includes('state:delivered')) await t.clock.advance(0);
    await finished;
  });
});

describe('one read of the team settings per request', () => {
  it('routes, applies channel rules and checks the caps from the same read of the settings', async () => {
    const defaults = { tenantCapMicros: 100_000_000, userCapMicros: 100_000_000, policy: 'cost' as const };
    let reads = 0;
    const settings = new (class extends DocumentTenantSettings {
      override get(tenant: string) {
        reads += 1;
        return super.get(tenant);
      }
    })(new MemoryStore(), defaults);
    const t = setup({ settings });
    await settings.update('test:A', (s) => (s.userCaps.u1 = 1));
    reads = 0;
    await assert.rejects(t.generate(), /budget|cap/i, 'the cap set in the settings is the one checked');
    assert.equal(reads, 1);
  });
});

describe('polling at the providers\' pace', () => {
  for (const [pace, firstMs] of [
    [1, 5_000],
    [0.1, 500],
  ] as const) {
    it(`looks first ${firstMs} ms after submitting, and then on the schedule scaled alike, at pace ${pace}`, async () => {
      const t = setup({ providerPace: pace });
      t.backend.statuses = [st({ state: 'queued' }), st({ state: 'queued' })];
      await t.generate();
      while (t.backend.submitted.length === 0) await t.clock.advance(0);
      await t.clock.advance(firstMs - 1, firstMs - 1);
      await settleIo(5);
      assert.equal(t.backend.polls, 0, 'not before the first look is due');
      await t.clock.advance(1, 1);
      await settleIo(5);
      assert.equal(t.backend.polls, 1, 'the first look, on time');
      // Still in the provider's line, no progress: polling.ts asks again 5 s later, on the provider's time.
      await t.clock.advance(5_000 * pace - 1, 5_000 * pace - 1);
      await settleIo(5);
      assert.equal(t.backend.polls, 1);
      await t.clock.advance(1, 1);
      await settleIo(5);
      assert.equal(t.backend.polls, 2);
    });
  }
});

describe('the runner takes every other move in the table', () => {
  it('cancels a job still waiting for a slot (queued → cancelled)', async () => {
    const t = setup({ perBackend: 1 });
    t.backend.statuses = [st({ state: 'running', progress: 10 })];
    await t.generate('first');
    await t.until('state:running');
    const { job } = await t.generate('second');
    assert.equal((await internalsOf(t.studio).jobs.get(job.id))?.state, 'queued');
    await t.studio.cancel(t.actor, job.id);
    assert.equal((await internalsOf(t.studio).jobs.get(job.id))?.state, 'cancelled');
  });

  it('cancels a job while the provider is still taking it (submitting → cancelled)', async () => {
    const t = setup();
    t.backend.submits = [hangs];
    const { job } = await t.generate();
    await t.until('state:submitting');
    await t.studio.cancel(t.actor, job.id);
    assert.equal((await internalsOf(t.studio).jobs.get(job.id))?.state, 'cancelled');
    assert.equal((await t.reserved()).reservedMicros, 0);
  });

  it('cancels a submitted job before its first look (submitted → cancelled)', async () => {
    const t = setup();
    const { job } = await t.generate();
    while (!t.log.includes('state:submitted')) await t.clock.advance(0);
    await t.studio.cancel(t.actor, job.id);
    assert.deepEqual(t.backend.cancelled, ['p1']);
  });

  it('falls back to the next backend when the first one is down (submitting → queued → submitting)', async () => {
    const down = new FakeBackend('fake');
    const spare = new FakeBackend('spare', 200_000);
    down.submits = [() => Promise.reject(new ProviderError({ kind: 'transient', backend: 'fake', message: 'upstream 503' }))];
    const t = setup({ backends: [down, spare] });
    const { job } = await t.generate();
    await t.until('state:delivered');
    assert.equal(spare.submitted.length, 1);
    assert.equal((await internalsOf(t.studio).jobs.get(job.id))?.backend, 'spare');
    assert.equal((await t.reserved()).spentMicros, 800_000, 'charged at the backend that made it');
  });

  it('fails a job the provider gives up on mid-render (running → failed)', async () => {
    const t = setup();
    t.backend.statuses = [st({ state: 'running', progress: 30 }), st({ state: 'failed', error: new ProviderError({ kind: 'transient', backend: 'fake', message: 'render crashed' }) })];
    await t.generate();
    await t.until('state:failed');
    assert.equal((await t.reserved()).reservedMicros, 0);
  });

  it('fails a job whose result cannot be downloaded, without charging (downloading → failed)', async () => {
    const t = setup();
    t.backend.resultError = new ProviderError({ kind: 'not_found', backend: 'fake', message: 'no such video' });
    const { job } = await t.generate();
    const failed = t.surface.next(job.id, 'failed');
    await t.until('state:failed');
    await failed;
    assert.ok(!t.log.includes('settle'));
    assert.equal((await t.reserved()).spentMicros, 0);
  });

  it('fails a job when the store breaks while it is posted (delivering → failed)', async () => {
    const t = setup();
    t.store.failRead = (key, value) => key.startsWith('job:') && (value as JobRecord).state === 'delivering';
    const { job } = await t.generate();
    const failed = t.surface.next(job.id, 'failed');
    await t.until('state:failed');
    assert.match((await failed).type === 'failed' ? ((await failed) as { reason: string }).reason : '', /went wrong inside the bot/);
    assert.equal(t.surface.events.filter((e) => e.event.type === 'finished').length, 0);
  });

  it('a step that cannot reach the store for now runs again later, and the job is delivered and charged once', async () => {
    const t = setup();
    t.store.failRead = (key, value) => key.startsWith('job:') && (value as JobRecord).state === 'delivering';
    t.store.readError = () => new StoreUnavailable('the database could not be reached');
    const { job } = await t.generate();
    const finished = t.surface.next(job.id, 'finished');
    while (!t.log.includes('state:delivered') && !t.log.includes('state:failed')) await t.clock.advance(5_000, 5_000);
    assert.ok(t.log.includes('state:delivered'), `the job ended ${t.log.filter((l) => l.startsWith('state:')).at(-1)}`);
    await finished;
    assert.equal((await t.reserved()).spentMicros, job.estimateMicros);
  });

  it('fails the jobs a restarted process can no longer send (queued → failed, submitting → failed)', async () => {
    const before = setup({ perBackend: 1 });
    before.backend.submits = [hangs];
    await before.generate('first');
    await before.until('state:submitting');
    await before.generate('second');
    // The next process runs without the backend both jobs were routed to.
    const after = setup({ store: before.store, backends: [new FakeBackend('other')] });
    await after.studio.resume();
    while (after.log.filter((l) => l === 'state:failed').length < 2) await after.clock.advance(1_000, 1_000);
    const jobs = await internalsOf(after.studio).jobs.recent('test:A');
    assert.deepEqual(jobs.map((j) => [j.state, j.error?.code]), [['failed', 'backend_gone'], ['failed', 'backend_gone']]);
  });
});

describe('approval: a job above the team threshold waits for an admin', () => {
  const bob = { tenant: 'test:A', userId: 'u2', displayName: 'Bob', isAdmin: true };

  it('an approved job moves into line and is delivered (awaiting_approval → queued)', async () => {
    const t = setup();
    await t.studio.setBudget(t.actor, { approveAboveMicros: 100_000 });
    const { job } = await t.generate();
    assert.equal(job.state, 'awaiting_approval');
    assert.equal((await t.reserved()).reservedMicros, job.estimateMicros, 'the money is held while it waits');
    await t.clock.advance(60_000, 5_000);
    assert.equal(t.backend.submitted.length, 0, 'nothing reaches the provider before the decision');
    await t.studio.team.approve(bob, job.id);
    await t.until('state:delivered');
    assert.equal(t.backend.submitted.length, 1);
  });

  it('a denied job ends cancelled and its money is released (awaiting_approval → cancelled)', async () => {
    const t = setup();
    await t.studio.setBudget(t.actor, { approveAboveMicros: 100_000 });
    const { job } = await t.generate();
    await t.studio.team.deny(bob, job.id, 'too long');
    assert.equal((await internalsOf(t.studio).jobs.get(job.id))?.state, 'cancelled');
    assert.equal((await t.reserved()).reservedMicros, 0);
    assert.equal(t.backend.submitted.length, 0);
  });
});

describe('launch: reserve, open the surface, start', () => {
  const input = { prompt: 'a fox in the snow', seconds: 4, orientation: 'landscape', resolution: '720p', audio: undefined, backend: undefined, imagePath: undefined, remixOf: undefined } as const;

  it('releases the reservation and cancels the job when the surface cannot be opened', async () => {
    const t = setup();
    const noThread = new UserFacingError('no_thread', 'I could not open a thread here.');
    let reservedWhileOpening = 0;
    const launched = t.studio.launch(t.actor, { surface: { platform: 'test' }, input }, async (accepted) => {
      reservedWhileOpening = (await t.reserved()).reservedMicros;
      assert.equal(accepted.job.state, 'queued');
      throw noThread;
    });
    await assert.rejects(launched, (error) => error === noThread, 'the adapter gets its own sentence back');
    assert.equal(reservedWhileOpening, 400_000, 'the budget is reserved before the surface opens');
    const [job] = await internalsOf(t.studio).jobs.recent('test:A');
    assert.equal(job!.state, 'cancelled');
    assert.equal((await t.reserved()).reservedMicros, 0, 'nothing stays reserved');
    assert.ok(t.log.indexOf('release') !== -1 && t.log.indexOf('release') < t.log.indexOf('state:cancelled'), t.log.join(' '));
    await t.clock.advance(60_000, 5_000);
    assert.equal(t.backend.submitted.length, 0, 'the provider is never called');
  });

  it('starts the job only once the surface is open, with what the surface recorded', async () => {
    const t = setup();
    const { job } = await t.studio.launch(t.actor, { surface: { platform: 'test' }, input }, async () => {
      await t.clock.advance(5_000, 1_000);
      assert.equal(t.backend.submitted.length, 0, 'nothing is sent to the provider while the surface opens');
      return { threadId: 'thread-1' };
    });
    assert.equal(job.surface.threadId, 'thread-1');
    while (!t.log.includes('state:submitted')) await t.clock.advance(1_000, 1_000);
    assert.equal(t.backend.submitted.length, 1);
  });
});

describe('healing a character the provider forgot', () => {
  async function withMascot(t: ReturnType<typeof setup>) {
    await internalsOf(t.studio).characters.add(character('Mascot', { bindings: { fake: { kind: 'provider-character', id: 'char_forgotten', createdAt: 0 } } }));
  }
  const forgot = () => Promise.reject(new ProviderError({ kind: 'binding_missing', backend: 'fake', message: "Character 'char_forgotten' not found." }));

  it('drops the stale binding, recreates it once, resubmits, and charges once', async () => {
    const t = setup();
    await withMascot(t);
    t.backend.submits = [forgot];
    const { job } = await t.generate('@Mascot waves');
    const finished = t.surface.next(job.id, 'finished');
    while (!t.log.includes('state:delivered')) await t.clock.advance(5_000, 5_000);
    await finished;
    assert.equal(t.backend.submitted.length, 2, 'sent twice: once with the forgotten id, once healed');
    assert.equal(t.backend.submitted[0]!.characters[0]!.binding.kind === 'provider-character' && t.backend.submitted[0]!.characters[0]!.binding.id, 'char_forgotten');
    assert.deepEqual(t.backend.created, ['char_1'], 'recreated exactly once');
    const resent = t.backend.submitted[1]!.characters[0]!.binding;
    assert.equal(resent.kind === 'provider-character' && resent.id, 'char_1');
    assert.equal(t.backend.submitted[0]!.idempotencyKey, t.backend.submitted[1]!.idempotencyKey);
    const stored = await internalsOf(t.studio).characters.get('test:A', 'mascot');
    assert.deepEqual(stored?.bindings.fake && 'id' in stored.bindings.fake ? stored.bindings.fake.id : undefined, 'char_1');
    assert.equal(t.log.filter((l) => l === 'settle').length, 1);
    const total = await t.reserved();
    assert.equal(total.reservedMicros, 0);
    assert.equal(total.spentMicros, 400_000);
    assert.equal(t.surface.events.filter((e) => e.event.type === 'failed').length, 0, 'the user was never asked anything');
  });

  it('names the character and the backend when recreating fails, and releases the reservation', async () => {
    const t = setup();
    await withMascot(t);
    t.backend.submits = [forgot];
    t.backend.createFails = 1;
    const { job } = await t.generate('@Mascot waves');
    const failed = t.surface.next(job.id, 'failed');
    while (!t.log.includes('state:failed')) await t.clock.advance(5_000, 5_000);
    const event = await failed;
    assert.equal(event.type, 'failed');
    assert.match(event.type === 'failed' ? event.reason : '', /Fake Video no longer knew the character @Mascot/);
    assert.equal(t.backend.submitted.length, 1);
    assert.equal((await t.reserved()).reservedMicros, 0);
  });
});

describe('the table against the runner', () => {
  it('every move the table allows is one the runner was seen to make above', () => {
    const untested = STATES.flatMap((from) => JOB_TRANSITIONS[from].map((to) => `${from}→${to}`)).filter((move) => !taken.has(move));
    assert.deepEqual(untested, [], `no runner scenario takes ${untested.join(', ')}: add one`);
  });
});
