/**
 * What a bot on the embedded default left in its DATA_DIR: the ledger, jobs and
 * storyboards in the tables of bot-tables.sqlite (src/store/sql), and the keyv
 * documents of bot.sqlite beside them. Read between processes or after one stopped:
 * SQLite has one writer at a time.
 */
import path from 'node:path';
import type { KeyValueStore } from '../../src/core/ports.js';
import { silentLogger } from '../../src/log.js';
import { openStore } from '../../src/store/keyv-store.js';
import { openSqlStore, type SqlStore } from '../../src/store/sql/index.js';

export interface BotData {
  jobs: SqlStore['jobs'];
  ledger: SqlStore['ledger'];
  boards: SqlStore['boards'];
  store: KeyValueStore;
}

/** Opens the stores of `dataDir`, hands them to `read`, and closes them whatever `read` does. */
export async function readBotData<T>(dataDir: string, read: (data: BotData) => Promise<T>): Promise<T> {
  const url = `sqlite://${path.join(dataDir, 'bot.sqlite')}`;
  const store = await openStore(url, { dataDir, logger: silentLogger });
  try {
    const tables = await openSqlStore(url, { dataDir, logger: silentLogger, replica: { id: 'test-reader', now: Date.now, timeoutMs: 30_000 } });
    try {
      return await read({ jobs: tables.jobs, ledger: tables.ledger, boards: tables.boards, store });
    } finally {
      await tables.close();
    }
  } finally {
    await store.close();
  }
}
