/**
 * The contract every KeyStore adapter passes (SQLite now; PostgreSQL with
 * the scale-out issue runs the same suite). `open(keyring)` gives a store on
 * the same persistent data each time it is called with a `place` it knows.
 */
import * as crypto from 'node:crypto';
import { kekFrom, type Kek } from '../phi-crypto';
import { KeyErasedError, type KeyStore } from '../key-store.port';

export interface KeyStoreHarness {
  /** A store over the harness's data (the same data on every call until `fresh`). */
  open(keyring: Kek[]): Promise<KeyStore>;
  /** Starts over with empty data. */
  fresh(): Promise<void>;
  /** A copy of the data as it is now, and a way to put it back (a backup and its restore). */
  backup(): Promise<() => Promise<void>>;
}

export function keyStoreContract(name: string, harness: KeyStoreHarness): void {
  describe(`key store contract: ${name}`, () => {
    const kek = kekFrom(crypto.randomBytes(32));
    let store: KeyStore;
    const course = () => crypto.randomUUID();

    beforeEach(async () => {
      await harness.fresh();
      store = await harness.open([kek]);
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates one key per course, and gives the same one back', async () => {
      const c = course();
      expect((await store.get(c)).state).toBe('missing');
      const first = await store.ensure(c);
      expect(first.key).toHaveLength(32);
      const again = await store.ensure(c);
      expect(again.keyId).toBe(first.keyId);
      expect(again.key.equals(first.key)).toBe(true);
      const other = await store.ensure(course());
      expect(other.keyId).not.toBe(first.keyId);
      expect(other.key.equals(first.key)).toBe(false);
      const got = await store.get(c);
      expect(got.state === 'live' && got.key.equals(first.key)).toBe(true);
    });

    it('destroys a key and leaves a tombstone; a second destruction keeps the first tombstone', async () => {
      const c = course();
      const live = await store.ensure(c);
      const tombstone = await store.destroy(c, '2026-01-01T00:00:00.000Z');
      expect(tombstone).toEqual({
        state: 'erased',
        courseId: c,
        keyId: live.keyId,
        erasedAt: '2026-01-01T00:00:00.000Z',
      });
      expect(await store.get(c)).toEqual(tombstone);
      expect(await store.destroy(c, '2027-01-01T00:00:00.000Z')).toEqual(tombstone);
      await expect(store.ensure(c)).rejects.toBeInstanceOf(KeyErasedError);
    });

    it('leaves a tombstone for a course that had no key, so none is made later', async () => {
      const c = course();
      const tombstone = await store.destroy(c, '2026-01-01T00:00:00.000Z');
      expect(tombstone.state).toBe('erased');
      await expect(store.ensure(c)).rejects.toBeInstanceOf(KeyErasedError);
    });

    it('keeps keys and tombstones across a reopen', async () => {
      const c1 = course();
      const c2 = course();
      const live = await store.ensure(c1);
      await store.ensure(c2);
      await store.destroy(c2, '2026-01-01T00:00:00.000Z');
      await store.close();
      store = await harness.open([kek]);
      const got = await store.get(c1);
      expect(got.state === 'live' && got.key.equals(live.key)).toBe(true);
      expect((await store.get(c2)).state).toBe('erased');
    });

    it('a restored backup holds the key again, and a destruction puts the tombstone back (the fence’s step)', async () => {
      const c = course();
      await store.ensure(c);
      await store.close();
      const restore = await harness.backup();
      store = await harness.open([kek]);
      await store.destroy(c, '2026-01-01T00:00:00.000Z');
      await store.close();
      await restore();
      store = await harness.open([kek]);
      expect((await store.get(c)).state).toBe('live');
      await store.destroy(c, '2026-01-01T00:00:00.000Z');
      expect((await store.get(c)).state).toBe('erased');
    });

    it('re-wraps every key under a new KEK: all readable with it alone, none left under the old one', async () => {
      const courses = [course(), course(), course()];
      const keys = await Promise.all(courses.map((c) => store.ensure(c)));
      await store.destroy(courses[2], '2026-01-01T00:00:00.000Z');
      expect(await store.keysByKek()).toEqual({ [kek.id]: 2 });
      const next = kekFrom(crypto.randomBytes(32));
      expect(await store.rotateKek(next)).toEqual({ rewrapped: 2 });
      expect(await store.keysByKek()).toEqual({ [next.id]: 2 });
      await store.close();
      store = await harness.open([next]);
      for (const [i, c] of courses.slice(0, 2).entries()) {
        const got = await store.get(c);
        expect(got.state === 'live' && got.key.equals(keys[i].key)).toBe(true);
      }
      expect((await store.get(courses[2])).state).toBe('erased');
      await store.close();
      store = await harness.open([kek]);
      await expect(store.get(courses[0])).rejects.toThrow('KEK');
    });

    it('keeps the fence position', async () => {
      expect(await store.fencePosition()).toBeUndefined();
      await store.setFencePosition(42n);
      await store.setFencePosition(2n ** 60n);
      await store.close();
      store = await harness.open([kek]);
      expect(await store.fencePosition()).toBe(2n ** 60n);
    });
  });
}
