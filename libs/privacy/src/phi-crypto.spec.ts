import * as crypto from 'node:crypto';
import {
  PhiIntegrityError,
  digestKey,
  isSealedPhi,
  kekFrom,
  keyedDigest,
  newDataKey,
  openPhi,
  phiAad,
  sealPhi,
  unwrapKey,
  wrapKey,
} from './phi-crypto';

const PHI = { patientRef: 'MRN-CRYPTO-0042', overrideReason: 'seen by psychiatry in May' };

describe('PHI sealing (privacy.md, stored form)', () => {
  const key = newDataKey();
  const aad = phiAad('course-c1', 'e1');

  it('seals to {alg, keyId, iv, ct} with no plaintext, and opens back to the same object', () => {
    const sealed = sealPhi(key, 'k1', PHI, aad);
    expect(Object.keys(sealed).sort()).toEqual(['alg', 'ct', 'iv', 'keyId']);
    expect(sealed.alg).toBe('A256GCM');
    expect(Buffer.from(sealed.iv, 'base64url')).toHaveLength(12);
    expect(isSealedPhi(sealed)).toBe(true);
    expect(JSON.stringify(sealed)).not.toContain('MRN');
    expect(openPhi(key, sealed, aad)).toEqual(PHI);
  });

  it('encrypts the canonical JSON: the ciphertext has the length of the sorted plaintext plus the tag', () => {
    const sealed = sealPhi(key, 'k1', { b: 'x', a: 'y' }, aad);
    expect(Buffer.from(sealed.ct, 'base64url')).toHaveLength('{"a":"y","b":"x"}'.length + 16);
  });

  it('refuses a ciphertext moved to another event, tampered with, or opened with another key', () => {
    const sealed = sealPhi(key, 'k1', PHI, aad);
    expect(() => openPhi(key, sealed, phiAad('course-c1', 'e2'))).toThrow(PhiIntegrityError);
    expect(() => openPhi(key, sealed, phiAad('course-c2', 'e1'))).toThrow(PhiIntegrityError);
    const ct = Buffer.from(sealed.ct, 'base64url');
    ct[0] ^= 1;
    expect(() => openPhi(key, { ...sealed, ct: ct.toString('base64url') }, aad)).toThrow(
      PhiIntegrityError,
    );
    expect(() => openPhi(newDataKey(), sealed, aad)).toThrow(PhiIntegrityError);
  });

  it('draws a fresh iv each time', () => {
    expect(sealPhi(key, 'k1', PHI, aad).iv).not.toBe(sealPhi(key, 'k1', PHI, aad).iv);
  });
});

describe('key wrapping and the keyed digest', () => {
  it('wraps a data key under the KEK, bound to its key id', () => {
    const kek = kekFrom(crypto.randomBytes(32));
    const dataKey = newDataKey();
    const wrapped = wrapKey(kek, 'k1', dataKey);
    expect(wrapped.includes(dataKey)).toBe(false);
    expect(unwrapKey(kek, 'k1', wrapped).equals(dataKey)).toBe(true);
    expect(() => unwrapKey(kek, 'k2', wrapped)).toThrow(PhiIntegrityError);
    expect(() => unwrapKey(kekFrom(crypto.randomBytes(32)), 'k1', wrapped)).toThrow(
      PhiIntegrityError,
    );
  });

  it('names a KEK by an id that is not the key', () => {
    const bytes = crypto.randomBytes(32);
    const kek = kekFrom(bytes);
    expect(kek.id).toMatch(/^[0-9a-f]{16}$/);
    expect(bytes.toString('hex')).not.toContain(kek.id);
    expect(() => kekFrom(Buffer.alloc(16))).toThrow('32 bytes');
  });

  it('digests a request under the course key: another key gives another digest, and no plain SHA-256', () => {
    const text = '{"data":{"patientRef":"MRN-1"},"type":"EnrollPatient"}';
    const dataKey = newDataKey();
    const k1 = digestKey(dataKey);
    expect(digestKey(dataKey).equals(k1)).toBe(true);
    expect(k1.equals(dataKey)).toBe(false);
    expect(keyedDigest(k1, text)).toBe(keyedDigest(k1, text));
    expect(keyedDigest(k1, text)).not.toBe(keyedDigest(digestKey(newDataKey()), text));
    expect(keyedDigest(k1, text)).not.toBe(crypto.createHash('sha256').update(text).digest('hex'));
  });
});
