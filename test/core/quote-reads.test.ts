/**
 * On a store replicas share, the quote that orders answer and acceptance (budget-forecast.ts) reuses a
 * team's settings and characters for a moment (recent-reads.ts, `quoteReadsMs`); the acceptance, which
 * decides, always reads them afresh. Real Studio on a real SQLite keyv file; the settings repository is
 * the store's own, counted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import type { KeyValueStore, MediaStore } from '../../src/core/ports.js';
import { RecentReads } from '../../src/core/recent-reads.js';
import { Studio } from '../../src/core/studio.js';
import { DocumentTenantSettings, type TenantSettingsRepository } from '../../src/core/tenant-settings.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/keyv-store.js';
import { declaredBackend } from '../helpers/fixtures.js';
import { generationInput } from '../helpers/jobs.js';
import { actor } from '../helpers/test-bot.js';

describe('quote reads', () => {
  let dir: string;
  let store: KeyValueStore;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'quote-reads-'));
    store = await openStore(`sqlite://${path.join(dir, 'store.sqlite')}`, { dataDir: dir, logger: silentLogger });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function studioWith(quoteReadsMs: number | undefined) {
    const clock = new ManualClock();
    const defaults = { tenantCapMicros: 100_000_000, userCapMicros: 100_000_000, policy: 'cost' as const };
    const stored = new DocumentTenantSettings(store, defaults);
    const reads: string[] = [];
    const settings: TenantSettingsRepository = Object.assign(Object.create(stored) as TenantSettingsRepository, {
      get: (tenant: string) => {
        reads.push(tenant);
        return stored.get(tenant);
      },
    });
    const studio = new Studio({
      store,
      clock,
      logger: silentLogger,
      backends: [declaredBackend('openai')],
      media: {} as MediaStore, // no image, no delivery: nothing here touches media
      defaults,
      referencePriceBackend: 'openai',
      jobDeadlineMs: 3_600_000,
      concurrency: { perBackend: 4, perTenant: 4 },
      publicUrl: undefined,
      settings,
      ...(quoteReadsMs !== undefined && { quoteReadsMs }),
    });
    let acceptances = 0;
    /** A launch the forecast answers first; the surface never opens, so the job is cancelled and nothing runs. */
    const launch = (tenant: string) =>
      studio
        .launch(actor(tenant), { surface: { platform: 'test' }, input: generationInput('a kite') }, Object.assign(async () => Promise.reject(new Error('no surface here')), { acknowledge: async () => void acceptances++ }))
        .catch(() => undefined);
    return { studio, clock, reads, launch, answered: () => acceptances };
  }

  it('quotes reuse a team\'s settings within the window; every acceptance reads them afresh', async () => {
    const t = studioWith(2_000);
    await t.launch('test:Q');
    await t.launch('test:Q');
    assert.equal(t.answered(), 2, 'both answered first');
    // Each launch reads twice besides its quote (the acceptance, and the cancellation of the unshown job),
    // as the next test shows without the window; here the second quote reused the first one's read.
    assert.equal(t.reads.length, 2 * 2 + 1, `reads: ${t.reads.join(', ')}`);
    t.clock.set(t.clock.now() + 2_000);
    await t.launch('test:Q');
    assert.equal(t.reads.length, 5 + 3, 'after the window the quote reads again');
    await t.studio.shutdown();
  });

  it('without the window (one process owning its store) each quote reads as the acceptance does', async () => {
    const t = studioWith(undefined);
    await t.launch('test:R');
    await t.launch('test:R');
    assert.equal(t.answered(), 2);
    assert.equal(t.reads.length, 2 * 3, 'quote, acceptance and cancellation each read, every time');
    await t.studio.shutdown();
  });

  it('a failed read is not remembered', async () => {
    const clock = new ManualClock();
    let calls = 0;
    const reads = new RecentReads(clock, 2_000, async () => {
      calls += 1;
      if (calls === 1) throw new Error('store unavailable');
      return 'settings';
    });
    await assert.rejects(reads.read('t'));
    assert.equal(await reads.read('t'), 'settings');
    assert.equal(await reads.read('t'), 'settings');
    assert.equal(calls, 2);
  });
});
