import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';

/** 64 zeros: the `prevHash` of the first event of a stream and of a clinic's first access record. */
export const GENESIS_HASH = '0'.repeat(64);

const HEX_HASH = /^[0-9a-f]{64}$/;

/** SHA-256 of the canonical JSON of `value`, lower-case hex. */
export function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}

export function isHexHash(value: unknown): value is string {
  return typeof value === 'string' && HEX_HASH.test(value);
}
