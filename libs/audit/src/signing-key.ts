/**
 * The Ed25519 key that signs checkpoints. Generated into the data folder on
 * first start (PKCS#8 PEM, mode 600) unless a PEM is given
 * (AUDIT_SIGNING_KEY). Its key id is the base64url SHA-256 of the public
 * key's SPKI (DER), truncated to its first 16 bytes (22 characters): enough
 * to tell keys apart, short enough to read aloud.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const SIGNING_KEY_FILE = 'audit-signing-key.pem';

export interface AuditPublicKey {
  keyId: string;
  jwk: JsonWebKey;
  pem: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return createHash('sha256').update(spki).digest().subarray(0, 16).toString('base64url');
}

export class AuditSigningKey {
  readonly publicKey: AuditPublicKey;
  private readonly publicKeyObject: KeyObject;

  private constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') {
      throw new Error('the audit signing key must be an Ed25519 key');
    }
    this.publicKeyObject = createPublicKey(privateKey);
    this.publicKey = {
      keyId: keyIdOf(this.publicKeyObject),
      jwk: this.publicKeyObject.export({ format: 'jwk' }),
      pem: this.publicKeyObject.export({ format: 'pem', type: 'spki' }).toString(),
    };
  }

  get keyId(): string {
    return this.publicKey.keyId;
  }

  /** From a PKCS#8 PEM (e.g. AUDIT_SIGNING_KEY). */
  static fromPem(pem: string): AuditSigningKey {
    return new AuditSigningKey(createPrivateKey({ key: pem, format: 'pem' }));
  }

  /** A fresh key held in memory only (tests). */
  static generate(): AuditSigningKey {
    return new AuditSigningKey(generateKeyPairSync('ed25519').privateKey);
  }

  /**
   * The given PEM if any; else the key file in `dataDir`, created with mode
   * 600 on first use. `wx` makes a second process starting at the same moment
   * read the first one's key instead of replacing it.
   */
  static loadOrCreate(options: { dataDir: string; pem?: string }): AuditSigningKey {
    if (options.pem) return AuditSigningKey.fromPem(options.pem);
    const file = path.join(options.dataDir, SIGNING_KEY_FILE);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(options.dataDir, { recursive: true });
      const pem = generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString();
      try {
        fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    // A key file an older version (or a hand copy) left readable to others is narrowed to its owner.
    fs.chmodSync(file, 0o600);
    return AuditSigningKey.fromPem(fs.readFileSync(file, 'utf8'));
  }

  sign(message: Uint8Array): Buffer {
    return sign(null, message, this.privateKey);
  }

  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return verify(null, message, this.publicKeyObject, signature);
  }
}

/** A public key from its PEM (SPKI) or JWK, as published. */
export function publicKeyFrom(key: string | JsonWebKey): KeyObject {
  const object =
    typeof key === 'string'
      ? createPublicKey({ key, format: 'pem' })
      : createPublicKey({ key, format: 'jwk' });
  if (object.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return object;
}
