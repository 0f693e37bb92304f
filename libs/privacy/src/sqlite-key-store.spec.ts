import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { keyStoreContract } from './testing/key-store.contract';
import { KEY_STORE_FILE, SqliteKeyStore } from './sqlite-key-store';
import { kekFrom } from './phi-crypto';

let dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-keys-'));
const files = () =>
  fs.readdirSync(dir).filter((name) => name.startsWith(KEY_STORE_FILE) && !name.endsWith('-shm'));

keyStoreContract('SQLite (keys.sqlite)', {
  open: (keyring) => Promise.resolve(SqliteKeyStore.inDataDir(dir, keyring)),
  fresh: () => {
    fs.rmSync(dir, { recursive: true, force: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-keys-'));
    return Promise.resolve();
  },
  backup: () => {
    // The store is closed when the contract takes a backup: the files are the whole state.
    const copies = new Map(files().map((name) => [name, fs.readFileSync(path.join(dir, name))]));
    return Promise.resolve(() => {
      for (const name of fs.readdirSync(dir)) fs.rmSync(path.join(dir, name));
      for (const [name, bytes] of copies) fs.writeFileSync(path.join(dir, name), bytes);
      return Promise.resolve();
    });
  },
});

describe('the SQLite key store on disk', () => {
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is owner-only, runs secure_delete, and leaves no byte of a destroyed wrapped key in its files', async () => {
    const kek = kekFrom(crypto.randomBytes(32));
    const store = SqliteKeyStore.inDataDir(dir, [kek]);
    const courses = Array.from({ length: 20 }, () => crypto.randomUUID());
    for (const c of courses) await store.ensure(c);
    // The wrapped form as stored, read with the store's own driver before destruction.
    const wrapped = (
      store as unknown as {
        db: { prepare(sql: string): { get(id: string): { wrapped: Uint8Array } } };
      }
    ).db
      .prepare('SELECT wrapped FROM data_keys WHERE course_id = ?')
      .get(courses[3]).wrapped;
    const needle = Buffer.from(wrapped);
    const bytesOnDisk = () => Buffer.concat(files().map((f) => fs.readFileSync(path.join(dir, f))));
    expect(bytesOnDisk().includes(needle)).toBe(true);
    await store.destroy(courses[3], new Date().toISOString());
    expect(bytesOnDisk().includes(needle)).toBe(false);
    await store.close();
    expect(bytesOnDisk().includes(needle)).toBe(false);
    expect(fs.statSync(path.join(dir, KEY_STORE_FILE)).mode & 0o777).toBe(0o600);
  });
});
