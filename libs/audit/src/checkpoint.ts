/**
 * Checkpoints (audit.md §2): both trees' sizes and roots, signed with Ed25519
 * over the checkpoint's canonical JSON.
 */
import { verify as verifySignature, type JsonWebKey, type KeyObject } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { type MerkleTreeView } from './merkle-tree';
import { keyIdOf, publicKeyFrom, type AuditSigningKey } from './signing-key';

export interface TreeHead {
  size: number;
  /** Lower-case hex. */
  root: string;
}

export interface Checkpoint {
  origin: string;
  events: TreeHead;
  access: TreeHead;
  /** ISO 8601, UTC. */
  issuedAt: string;
}

export interface SignedCheckpoint {
  checkpoint: Checkpoint;
  /** Base64 Ed25519 signature over canonicalJson(checkpoint). */
  signature: string;
  keyId: string;
}

export function treeHead(tree: MerkleTreeView, size: number = tree.size): TreeHead {
  return { size, root: tree.root(size).toString('hex') };
}

/** The bytes a checkpoint's signature covers. */
export function checkpointMessage(checkpoint: Checkpoint): Buffer {
  return Buffer.from(canonicalJson(checkpoint), 'utf8');
}

export function signCheckpoint(checkpoint: Checkpoint, key: AuditSigningKey): SignedCheckpoint {
  return {
    checkpoint,
    signature: key.sign(checkpointMessage(checkpoint)).toString('base64'),
    keyId: key.keyId,
  };
}

/** True when the signature is the given key's and the key id names that key. */
export function verifyCheckpoint(
  signed: SignedCheckpoint,
  publicKey: KeyObject | string | JsonWebKey,
): boolean {
  let key: KeyObject;
  try {
    key = isKeyObject(publicKey) ? publicKey : publicKeyFrom(publicKey);
  } catch {
    return false;
  }
  if (keyIdOf(key) !== signed.keyId) return false;
  return verifySignature(
    null,
    checkpointMessage(signed.checkpoint),
    key,
    Buffer.from(signed.signature, 'base64'),
  );
}

function isKeyObject(value: unknown): value is KeyObject {
  return typeof value === 'object' && value !== null && 'asymmetricKeyType' in value;
}
