import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KeyValueLedger } from '../../src/core/ledger.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/keyv-store.js';
import { ledgerContract } from '../helpers/ledger-contract.js';

ledgerContract('budget ledger on SQLite (key-value documents)', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ledger-'));
  const store = await openStore(`sqlite://${path.join(dir, 'ledger.sqlite')}`, { dataDir: dir, logger: silentLogger });
  return {
    ledger: new KeyValueLedger(store),
    async close() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
