/** Types of the offline verifier's functions (plain CommonJS in this folder, Node built-ins only). */
import type { KeyObject, JsonWebKey } from 'node:crypto';

export function canonicalJson(value: unknown): string;

export function sha256(...parts: Uint8Array[]): Buffer;
export function hashLeaf(data: Uint8Array): Buffer;
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer;
/** RFC 9162 §2.1.3.2. */
export function verifyInclusionProof(
  leafHash: Buffer,
  leafIndex: number,
  treeSize: number,
  path: readonly Buffer[],
  rootHash: Buffer,
): boolean;
/** RFC 9162 §2.1.4.2. */
export function verifyConsistencyProof(
  firstSize: number,
  secondSize: number,
  firstHash: Buffer,
  secondHash: Buffer,
  proof: readonly Buffer[],
): boolean;

export const ZERO_HASH: string;
export function eventHash(event: unknown): string;
export function checkChain(
  events: readonly unknown[],
  streamId: string,
): { valid: true; hashes: string[] } | { valid: false; revision: number; problem: string };

export function keyIdOf(publicKey: KeyObject): string;
export function readPublicKey(source: string | JsonWebKey | { jwk: JsonWebKey }): KeyObject;
export function verifyCheckpointSignature(
  checkpoint: unknown,
  signatureBase64: unknown,
  publicKey: KeyObject,
): boolean;

export const FORMAT: 'ipt-audit-bundle/1';
export class CannotVerify extends Error {}
export interface BundleReport {
  valid: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  notes: string[];
}
export function verifyBundle(
  bundle: unknown,
  options?: { publicKey?: KeyObject; previous?: unknown },
): BundleReport;
