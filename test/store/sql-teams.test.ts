/**
 * Characters and team settings: one contract for every implementation (the keyv
 * documents Redis keeps, the tables on SQLite and on Postgres), two replicas on
 * one Postgres schema changing the same team at once (no change is lost, a name
 * is taken once), and the one-time import of the keyv documents on an upgrade.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DocumentCharacterRegistry, type CharacterRegistry } from '../../src/core/characters.js';
import { systemClock } from '../../src/core/clock.js';
import { DocumentTenantSettings, type SettingsDefaults, type TenantSettingsRepository } from '../../src/core/tenant-settings.js';
import type { Character, CharacterBinding } from '../../src/core/types.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/keyv-store.js';
import { openStores } from '../../src/store/open-stores.js';
import { openSqlStore, type SqlStore } from '../../src/store/sql/index.js';
import { freshSchema, type TestSchema } from '../helpers/pg-schema.js';
import { serviceAvailable } from '../helpers/services.js';

const hasPostgres = await serviceAvailable('postgres', 'characters and team settings in tables on Postgres (test/store/sql-teams.test.ts)');
const schemas: TestSchema[] = [];
after(async () => {
  for (const s of schemas) await s.drop();
});
async function postgresSchema(): Promise<TestSchema> {
  const schema = await freshSchema('teams');
  schemas.push(schema);
  return schema;
}

const defaults: SettingsDefaults = { tenantCapMicros: 50_000_000, userCapMicros: 10_000_000, policy: 'cost' };
const replica = (id: string) => ({ id, now: Date.now, timeoutMs: 30_000 });
const character = (name: string, tenant = 'test:A'): Character => ({
  tenant,
  name,
  key: name.toLowerCase(),
  description: `${name} the character`,
  ownerId: 'u1',
  ownerName: 'Alice',
  source: { kind: 'url', url: `https://example.com/${name}.mp4` },
  clipPath: undefined,
  bindings: {},
  createdAt: 1,
});
const binding = (id: string): CharacterBinding => ({ kind: 'provider-character', id, createdAt: 2 });

interface Teams {
  characters: CharacterRegistry;
  settings: TenantSettingsRepository;
  close(): Promise<void>;
}

const sqlTeams = (store: SqlStore, close: () => Promise<void>): Teams => ({ characters: store.characters, settings: store.settings(defaults), close });

const implementations: Array<[string, () => Promise<Teams>]> = [
  [
    'keyv documents',
    async () => {
      const store = await openStore('sqlite://:memory:', { dataDir: os.tmpdir(), logger: silentLogger });
      return { characters: new DocumentCharacterRegistry(store), settings: new DocumentTenantSettings(store, defaults), close: () => store.close() };
    },
  ],
  [
    'tables on SQLite',
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'sql-teams-'));
      const store = await openSqlStore(`sqlite://${path.join(dir, 'bot.sqlite')}`, { dataDir: dir, logger: silentLogger, replica: replica('one') });
      return sqlTeams(store, async () => (await store.close(), await rm(dir, { recursive: true, force: true })));
    },
  ],
];
if (hasPostgres) {
  implementations.push([
    'tables on Postgres',
    async () => {
      const store = await openSqlStore((await postgresSchema()).url, { dataDir: os.tmpdir(), logger: silentLogger, replica: replica('one') });
      return sqlTeams(store, () => store.close());
    },
  ]);
}

for (const [name, open] of implementations) {
  describe(`characters and settings: ${name}`, () => {
    it('adds a name once, lists a team its own characters only, and removes', async () => {
      const { characters, close } = await open();
      try {
        assert.equal(await characters.add(character('Mina')), true);
        assert.equal(await characters.add({ ...character('MINA'), description: 'another' }), false, 'the name is taken');
        assert.equal(await characters.add(character('Mina', 'test:B')), true, 'another team may use it');
        assert.equal(await characters.add(character('Ahn')), true);
        assert.deepEqual([...(await characters.all('test:A')).keys()].sort(), ['ahn', 'mina']);
        assert.equal((await characters.get('test:A', 'mina'))?.description, 'Mina the character');
        assert.equal(await characters.get('test:A', 'nobody'), undefined);
        // A reader's copy is its own.
        (await characters.get('test:A', 'mina'))!.description = 'changed by a reader';
        assert.equal((await characters.get('test:A', 'mina'))?.description, 'Mina the character');
        assert.equal((await characters.remove('test:A', 'mina'))?.name, 'Mina');
        assert.equal(await characters.remove('test:A', 'mina'), undefined);
        assert.deepEqual([...(await characters.all('test:A')).keys()], ['ahn']);
        assert.deepEqual([...(await characters.all('test:B')).keys()], ['mina']);
      } finally {
        await close();
      }
    });

    it('sets bindings per backend, and drops one only if it is still the stale one', async () => {
      const { characters, close } = await open();
      try {
        await characters.add(character('Mina'));
        await characters.setBinding('test:A', 'mina', 'openai', binding('char_1'));
        await characters.setBinding('test:A', 'mina', 'kling', binding('el_1'));
        await characters.setBinding('test:A', 'nobody', 'openai', binding('char_x'));
        assert.deepEqual((await characters.get('test:A', 'mina'))?.bindings, { openai: binding('char_1'), kling: binding('el_1') });
        // Another job recreated it meanwhile: the stale one is not dropped over the new one.
        await characters.setBinding('test:A', 'mina', 'openai', binding('char_2'));
        assert.equal(await characters.dropBinding('test:A', 'mina', 'openai', binding('char_1')), false);
        assert.equal(await characters.dropBinding('test:A', 'mina', 'openai', binding('char_2')), true);
        assert.equal(await characters.dropBinding('test:A', 'nobody', 'openai', binding('char_2')), false);
        assert.deepEqual((await characters.get('test:A', 'mina'))?.bindings, { kling: binding('el_1') });
      } finally {
        await close();
      }
    });

    it('settings fall back to the defaults, and changes keep what they did not touch', async () => {
      const { settings, close } = await open();
      try {
        assert.deepEqual(await settings.capsFor('test:A', 'u1'), { tenantCapMicros: 50_000_000, userCapMicros: 10_000_000 });
        assert.deepEqual(await settings.routingFor('test:A'), { policy: 'cost', audio: 'off' });
        const stored = await settings.update('test:A', (s) => {
          s.tenantCapMicros = 20_000_000;
          s.userCaps['toString'] = 1_000_000;
        });
        assert.equal(stored.tenantCapMicros, 20_000_000);
        await settings.update('test:A', (s) => {
          s.policy = 'stability';
          s.audio = 'on';
        });
        assert.deepEqual(await settings.capsFor('test:A', 'u1'), { tenantCapMicros: 20_000_000, userCapMicros: 10_000_000 });
        assert.deepEqual(await settings.capsFor('test:A', 'toString'), { tenantCapMicros: 20_000_000, userCapMicros: 1_000_000 }, 'a member id is only a key');
        assert.equal(await settings.policyFor('test:A'), 'stability');
        assert.deepEqual(await settings.routingFor('test:A'), { policy: 'stability', audio: 'on' });
        assert.deepEqual(await settings.capsFor('test:B', 'u1'), { tenantCapMicros: 50_000_000, userCapMicros: 10_000_000 }, 'another team keeps the defaults');
        // A change that throws stores nothing.
        await assert.rejects(
          settings.update('test:A', (s) => {
            s.tenantCapMicros = 1;
            throw new Error('refused');
          }),
          /refused/,
        );
        assert.equal((await settings.get('test:A')).tenantCapMicros, 20_000_000);
        // A reader's copy is its own.
        (await settings.get('test:A')).tenantCapMicros = 3;
        assert.equal((await settings.get('test:A')).tenantCapMicros, 20_000_000);
      } finally {
        await close();
      }
    });

    it('changes of one team at once in one process all land', async () => {
      const { settings, characters, close } = await open();
      try {
        await characters.add(character('Mina'));
        await Promise.all([
          ...Array.from({ length: 20 }, (_, i) => settings.update('test:A', (s) => void (s.userCaps[`u${i}`] = i + 1))),
          ...Array.from({ length: 10 }, (_, i) => characters.setBinding('test:A', 'mina', `backend${i}`, binding(`b${i}`))),
        ]);
        assert.equal(Object.keys((await settings.get('test:A')).userCaps).length, 20);
        assert.equal(Object.keys((await characters.get('test:A', 'mina'))!.bindings).length, 10);
      } finally {
        await close();
      }
    });
  });
}

describe('Postgres: two replicas changing the same team at once', { skip: !hasPostgres && 'Postgres is not reachable (see the SKIPPED line above)' }, () => {
  it('lose no settings change and no binding, and take a name once', async () => {
    const { url } = await postgresSchema();
    const [a, b] = await Promise.all(['r1', 'r2'].map((id) => openSqlStore(url, { dataDir: os.tmpdir(), logger: silentLogger, replica: replica(id) })));
    try {
      const [sa, sb] = [a!.settings(defaults), b!.settings(defaults)];
      // `/budget set` on one replica while the other records 80% warnings in alertsGiven, many times over.
      await Promise.all([
        ...Array.from({ length: 15 }, (_, i) => sa.update('test:A', (s) => void (s.userCaps[`a${i}`] = 1_000 + i))),
        ...Array.from({ length: 15 }, (_, i) =>
          sb.update('test:A', (s) => void (s.alertsGiven = { '2026-12': [...(s.alertsGiven?.['2026-12'] ?? []), `user:b${i}`] })),
        ),
      ]);
      const settings = await sa.get('test:A');
      assert.equal(Object.keys(settings.userCaps).length, 15, 'every cap set on replica 1');
      assert.equal(settings.alertsGiven?.['2026-12']?.length, 15, 'every warning recorded on replica 2');
      assert.deepEqual(await sb.capsFor('test:A', 'a3'), { tenantCapMicros: 50_000_000, userCapMicros: 1_003 }, "replica 2 sees replica 1's cap at once");

      // Two `/character create Mina` at once: one is added.
      const added = await Promise.all([a!.characters.add(character('Mina')), b!.characters.add({ ...character('mina'), description: 'second' })]);
      assert.deepEqual(added.sort(), [false, true]);
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? a! : b!).characters.setBinding('test:A', 'mina', `backend${i}`, binding(`b${i}`))),
      );
      assert.equal(Object.keys((await b!.characters.get('test:A', 'mina'))!.bindings).length, 12, 'no binding lost');
      // A stale drop on one replica against a fresh binding on the other: the fresh one stays.
      await a!.characters.setBinding('test:A', 'mina', 'openai', binding('char_new'));
      assert.equal(await b!.characters.dropBinding('test:A', 'mina', 'openai', binding('char_old')), false);
      assert.deepEqual((await a!.characters.get('test:A', 'mina'))!.bindings['openai'], binding('char_new'));
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });
});

/** What the version before the tables left: characters and settings documents (written by that code). */
async function writeOldDocuments(url: string, dataDir: string): Promise<void> {
  const old = await openStore(url, { dataDir, logger: silentLogger });
  try {
    const characters = new DocumentCharacterRegistry(old);
    await characters.add(character('Mina'));
    await characters.setBinding('test:A', 'mina', 'openai', binding('char_1'));
    await characters.add(character('Ahn', 'test:B'));
    await new DocumentTenantSettings(old, defaults).update('test:A', (s) => {
      s.tenantCapMicros = 7_000_000;
      s.alertsGiven = { '2026-12': ['team'] };
    });
  } finally {
    await old.close();
  }
}

async function expectImported(tables: SqlStore): Promise<void> {
  assert.deepEqual((await tables.characters.get('test:A', 'mina'))?.bindings, { openai: binding('char_1') });
  assert.deepEqual([...(await tables.characters.all('test:B')).keys()], ['ahn']);
  const settings = tables.settings(defaults);
  assert.deepEqual(await settings.capsFor('test:A', 'u1'), { tenantCapMicros: 7_000_000, userCapMicros: 10_000_000 });
  assert.deepEqual((await settings.get('test:A')).alertsGiven, { '2026-12': ['team'] });
}

describe('the keyv characters and settings move to tables once', () => {
  it('on SQLite, also in a DATA_DIR that already moved its ledger and jobs', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'teams-import-'));
    const cleanups: (() => Promise<unknown>)[] = [];
    const stop = async () => {
      for (const fn of cleanups.reverse()) await fn();
      cleanups.length = 0;
    };
    try {
      const url = `sqlite://${path.join(dataDir, 'bot.sqlite')}`;
      await writeOldDocuments(url, dataDir);
      // The previous version's start: the ledger-and-jobs import is marked done already.
      const earlier = await openSqlStore(url, { dataDir, logger: silentLogger, replica: replica('one') });
      await earlier.database.db.insertInto('store_imports').values({ name: 'keyv-ledger-and-jobs', done_at: 1, counts: '{}' }).execute();
      await earlier.close();

      const config = loadConfig({ DATA_DIR: dataDir });
      const { tables } = await openStores(config, systemClock, silentLogger, cleanups);
      await expectImported(tables!);
      await tables!.characters.remove('test:B', 'ahn');
      await stop();
      const reopened = await openStores(config, systemClock, silentLogger, cleanups);
      assert.deepEqual([...(await reopened.tables!.characters.all('test:B')).keys()], [], 'imported once: a removed character stays removed');
    } finally {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('on Postgres, from keyv\'s table in the same schema, once across two replicas starting together', { skip: !hasPostgres && 'Postgres is not reachable' }, async () => {
    const { url } = await postgresSchema();
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'teams-import-'));
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      await writeOldDocuments(url, dataDir);
      const configs = ['r1', 'r2'].map((id) => loadConfig({ DATA_DIR: dataDir, STORE_URL: url, REPLICA_ID: id }));
      const [one] = await Promise.all(configs.map((config) => openStores(config, systemClock, silentLogger, cleanups)));
      await expectImported(one!.tables!);
      const marks = await one!.tables!.database.db.selectFrom('store_imports').select(['name', 'counts']).where('name', '=', 'keyv-characters-and-settings').execute();
      assert.deepEqual(marks, [{ name: 'keyv-characters-and-settings', counts: JSON.stringify({ characters: 2, settings: 1 }) }]);
    } finally {
      for (const fn of cleanups.reverse()) await fn();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
