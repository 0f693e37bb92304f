import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@ipt/event-store';
import { describeEventStoreContract } from './event-store.contract';

// A fresh database file per test, in one temporary directory removed at the end.
const directory = mkdtempSync(join(tmpdir(), 'ipt-event-store-contract-'));
let files = 0;

describeEventStoreContract('embedded SQLite', {
  async create() {
    files += 1;
    return new SqliteEventStore(join(directory, `events-${files}.sqlite`));
  },
  async teardown() {
    rmSync(directory, { recursive: true, force: true });
  },
});
