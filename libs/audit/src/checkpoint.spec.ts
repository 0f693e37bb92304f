import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  keyIdOf as verifierKeyIdOf,
  readPublicKey,
  verifyCheckpointSignature,
} from '@ipt/audit-verifier';
import { signCheckpoint, treeHead, verifyCheckpoint, type Checkpoint } from './checkpoint';
import { IncrementalMerkleTree, InMemoryMerkleNodeStore } from './merkle-tree';
import { AuditSigningKey, publicKeyFrom, SIGNING_KEY_FILE } from './signing-key';

/** The key id with its first character changed (to one it cannot already be). */
function otherKeyId(keyId: string): string {
  return (keyId[0] === 'x' ? 'y' : 'x') + keyId.slice(1);
}

function checkpointOf(size: number): Checkpoint {
  const events = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
  for (let i = 0; i < size; i++) events.append(Buffer.alloc(32, i));
  const access = new IncrementalMerkleTree(new InMemoryMerkleNodeStore());
  return {
    origin: 'ledger.test',
    events: treeHead(events),
    access: treeHead(access),
    issuedAt: new Date().toISOString(),
  };
}

describe('signed checkpoints', () => {
  const key = AuditSigningKey.generate();
  const signed = signCheckpoint(checkpointOf(9), key);

  it('verify with the public key as PEM, JWK or KeyObject, here and in the offline verifier', () => {
    expect(verifyCheckpoint(signed, key.publicKey.pem)).toBe(true);
    expect(verifyCheckpoint(signed, key.publicKey.jwk)).toBe(true);
    expect(verifyCheckpoint(signed, publicKeyFrom(key.publicKey.jwk))).toBe(true);
    const offlineKey = readPublicKey(key.publicKey);
    expect(verifierKeyIdOf(offlineKey)).toBe(signed.keyId);
    expect(verifyCheckpointSignature(signed.checkpoint, signed.signature, offlineKey)).toBe(true);
  });

  it('fail when any field of the checkpoint, the signature or the key id changes', () => {
    const altered: Checkpoint[] = [
      { ...signed.checkpoint, origin: 'elsewhere' },
      { ...signed.checkpoint, events: { ...signed.checkpoint.events, size: 8 } },
      { ...signed.checkpoint, access: { size: 1, root: signed.checkpoint.access.root } },
      { ...signed.checkpoint, issuedAt: '2020-01-01T00:00:00.000Z' },
    ];
    for (const checkpoint of altered) {
      expect(verifyCheckpoint({ ...signed, checkpoint }, key.publicKey.pem)).toBe(false);
    }
    const signature = Buffer.from(signed.signature, 'base64');
    signature[10] ^= 1;
    expect(
      verifyCheckpoint({ ...signed, signature: signature.toString('base64') }, key.publicKey.pem),
    ).toBe(false);
    expect(
      verifyCheckpoint({ ...signed, keyId: otherKeyId(signed.keyId) }, key.publicKey.pem),
    ).toBe(false);
  });

  it("fail with another key, and with a key that is not Ed25519's", () => {
    const other = AuditSigningKey.generate();
    expect(verifyCheckpoint(signed, other.publicKey.pem)).toBe(false);
    expect(verifyCheckpoint({ ...signed, keyId: other.keyId }, other.publicKey.pem)).toBe(false);
    expect(
      verifyCheckpoint(signed, '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----'),
    ).toBe(false);
  });

  it('name the key by base64url SHA-256 of its SPKI, 16 bytes', () => {
    expect(key.keyId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(key.publicKey.jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(key.publicKey.pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });
});

describe('the signing key in the data folder', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipt-audit-key-'))));
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('is generated once, readable by its owner only, and kept across starts', () => {
    const created = AuditSigningKey.loadOrCreate({ dataDir: path.join(dataDir, 'data') });
    const file = path.join(dataDir, 'data', SIGNING_KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const again = AuditSigningKey.loadOrCreate({ dataDir: path.join(dataDir, 'data') });
    expect(again.keyId).toBe(created.keyId);
  });

  it('is the given PEM when there is one, and nothing is written', () => {
    const pem = generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    const fromPem = AuditSigningKey.loadOrCreate({ dataDir, pem });
    expect(fs.existsSync(path.join(dataDir, SIGNING_KEY_FILE))).toBe(false);
    expect(AuditSigningKey.fromPem(pem).keyId).toBe(fromPem.keyId);
    expect(AuditSigningKey.loadOrCreate({ dataDir }).keyId).not.toBe(fromPem.keyId);
  });

  it('refuses a PEM that is not an Ed25519 private key', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const pem = rsa.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => AuditSigningKey.loadOrCreate({ dataDir, pem })).toThrow(/Ed25519/);
  });
});
