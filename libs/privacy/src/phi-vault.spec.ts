import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EventDecodeError } from '@ipt/course';
import { KeyErasedError, KeyMissingError } from './key-store.port';
import { isSealedPhi, kekFrom } from './phi-crypto';
import { PhiVault } from './phi-vault';
import { SqliteKeyStore } from './sqlite-key-store';

describe('PhiVault', () => {
  let dir: string;
  let vault: PhiVault;
  const courseId = crypto.randomUUID();
  const streamId = `course-${courseId}`;
  const phi = { patientRef: 'MRN-VAULT-1', overrideReason: 'reviewed by the psychiatrist' };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-vault-'));
    vault = new PhiVault(SqliteKeyStore.inDataDir(dir, [kekFrom(crypto.randomBytes(32))]));
  });
  afterEach(async () => {
    await vault.keys.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sealedEvents = async () => {
    const key = await vault.liveKey(courseId, true);
    return vault
      .seal(streamId, key, [
        { eventId: 'e0', data: { courseId, phi } },
        { eventId: 'e1', data: { courseId, sessionNumber: 1 } },
        { eventId: 'e2', data: { courseId, phi: null } },
      ])
      .map((e, revision) => ({ ...e, streamId, revision }));
  };

  it('seals only a phi object, and opens it again for the course', async () => {
    const events = await sealedEvents();
    expect(isSealedPhi(events[0].data.phi)).toBe(true);
    expect(events[1].data).toEqual({ courseId, sessionNumber: 1 });
    expect(events[2].data.phi).toBeNull();
    const opened = await vault.open(courseId, events);
    expect(opened.map((e) => [e.data.phi, e.phiErased])).toEqual([
      [phi, false],
      [undefined, false],
      [null, false],
    ]);
  });

  it('reads an erased course as phi null with phiErased, and refuses its key from then on', async () => {
    const events = await sealedEvents();
    const tombstone = await vault.erase(courseId, '2026-01-01T00:00:00.000Z');
    expect(tombstone.state).toBe('erased');
    const opened = await vault.open(courseId, events);
    expect([opened[0].data.phi, opened[0].phiErased]).toEqual([null, true]);
    await expect(vault.liveKey(courseId, true)).rejects.toBeInstanceOf(KeyErasedError);
    // Another process's vault, without the cache, reads the tombstone from the store.
    const other = new PhiVault(vault.keys, 10);
    expect((await other.open(courseId, events))[0].phiErased).toBe(true);
  });

  it('refuses a sealed phi whose key is gone without a tombstone (key_missing), never making a new key', async () => {
    const events = await sealedEvents();
    const fresh = new PhiVault(
      SqliteKeyStore.inDataDir(fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-vault-empty-')), [
        kekFrom(crypto.randomBytes(32)),
      ]),
    );
    try {
      await expect(fresh.open(courseId, events)).rejects.toBeInstanceOf(KeyMissingError);
      await expect(fresh.liveKey(courseId, false)).rejects.toBeInstanceOf(KeyMissingError);
      expect((await fresh.keys.get(courseId)).state).toBe('missing');
    } finally {
      await fresh.keys.close();
    }
  });

  it('treats a tampered or moved ciphertext as an undecodable event, naming no value', async () => {
    const events = await sealedEvents();
    const moved = { ...events[0], eventId: 'e9' };
    const error = await vault.open(courseId, [moved]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventDecodeError);
    expect((error as Error).message).toBe(`cannot decode ${streamId}@0: data.phi does not verify`);
  });

  it('keys the digest with the course key: the same request digests alike, another course differently', async () => {
    const key = await vault.liveKey(courseId, true);
    const other = await vault.liveKey(crypto.randomUUID(), true);
    const text = JSON.stringify({ type: 'AssignHomework', data: { description: 'x' } });
    expect(vault.digest(key, text)).toBe(vault.digest(key, text));
    expect(vault.digest(key, text)).not.toBe(vault.digest(other, text));
  });
});
