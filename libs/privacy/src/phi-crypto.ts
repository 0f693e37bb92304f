/**
 * The cryptography of privacy.md, pure over node:crypto: a course's `phi`
 * sealed with AES-256-GCM under the course's data key, bound to its event by
 * the associated data `<streamId>/<eventId>`; data keys wrapped by the
 * key-encryption key (KEK); the keyed digest that replaces a plain hash of a
 * request holding PHI. Errors never carry key material or plaintext.
 */
import * as crypto from 'node:crypto';
import { canonicalJson } from '@ipt/audit';

export const PHI_ALG = 'A256GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** `phi` as stored (privacy.md, "Stored form"). */
export interface SealedPhi {
  alg: typeof PHI_ALG;
  keyId: string;
  /** base64url, 12 bytes. */
  iv: string;
  /** base64url: ciphertext followed by its 16-byte tag. */
  ct: string;
}

/** A key-encryption key and the id that names it in the key store (not derived reversibly). */
export interface Kek {
  id: string;
  key: Buffer;
}

/** The ciphertext or its tag does not verify: tampered, moved to another event, or a wrong key. */
export class PhiIntegrityError extends Error {
  readonly code = 'phi_unreadable';
  constructor(what: string) {
    super(`${what} does not verify`);
    this.name = 'PhiIntegrityError';
  }
}

export function isSealedPhi(value: unknown): value is SealedPhi {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    v.alg === PHI_ALG &&
    typeof v.keyId === 'string' &&
    typeof v.iv === 'string' &&
    typeof v.ct === 'string'
  );
}

/** The associated data of an event's `phi`: a ciphertext cannot be moved to another event. */
export const phiAad = (streamId: string, eventId: string): Buffer =>
  Buffer.from(`${streamId}/${eventId}`, 'utf8');

export const newDataKey = (): Buffer => crypto.randomBytes(KEY_BYTES);

export function sealPhi(
  key: Buffer,
  keyId: string,
  phi: Record<string, unknown>,
  aad: Buffer,
): SealedPhi {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const ct = Buffer.concat([
    cipher.update(canonicalJson(phi), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return { alg: PHI_ALG, keyId, iv: iv.toString('base64url'), ct: ct.toString('base64url') };
}

export function openPhi(key: Buffer, sealed: SealedPhi, aad: Buffer): Record<string, unknown> {
  const iv = Buffer.from(sealed.iv, 'base64url');
  const ct = Buffer.from(sealed.ct, 'base64url');
  if (iv.length !== IV_BYTES || ct.length < TAG_BYTES) throw new PhiIntegrityError('phi');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(ct.subarray(ct.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(ct.subarray(0, ct.length - TAG_BYTES)),
      decipher.final(),
    ]);
    const value: unknown = JSON.parse(plain.toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new PhiIntegrityError('phi');
  }
}

/** The KEK of 32 bytes, named by an HMAC of itself (the id reveals nothing of the key). */
export function kekFrom(key: Buffer): Kek {
  if (key.length !== KEY_BYTES) throw new Error(`a KEK must be ${KEY_BYTES} bytes`);
  const id = crypto.createHmac('sha256', key).update('ipt kek id').digest('hex').slice(0, 16);
  return { id, key };
}

const wrapAad = (keyId: string) => Buffer.from(`ipt-data-key/${keyId}`, 'utf8');

/** iv ‖ ciphertext ‖ tag of the data key under the KEK, bound to its key id. */
export function wrapKey(kek: Kek, keyId: string, dataKey: Buffer): Buffer {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', kek.key, iv);
  cipher.setAAD(wrapAad(keyId));
  return Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
}

export function unwrapKey(kek: Kek, keyId: string, wrapped: Buffer): Buffer {
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', kek.key, wrapped.subarray(0, IV_BYTES));
    decipher.setAAD(wrapAad(keyId));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    throw new PhiIntegrityError('a wrapped data key');
  }
}

/** The key of the idempotency digest, derived from the course's data key (HKDF, its own label). */
export function digestKey(dataKey: Buffer): Buffer {
  return Buffer.from(
    crypto.hkdfSync('sha256', dataKey, Buffer.alloc(0), 'ipt idempotency digest', KEY_BYTES),
  );
}

/**
 * HMAC-SHA256 of `text` under the digest key (`digestKey` of the course's
 * data key): the idempotency digest of a request that holds PHI dies with the
 * course key, and cannot be tried value by value without it.
 */
export function keyedDigest(macKey: Buffer, text: string): string {
  return crypto.createHmac('sha256', macKey).update(text).digest('hex');
}
